require("/work/main/providers/runtime/ts-register");
const t0 = process.hrtime.bigint();
require("zod");
const t1 = process.hrtime.bigint();
for (const m of ["billing","deployment","monitor","realtime","sandbox","schema","storage","user"]) require(`/work/main/providers/${m}/schema`);
const t2 = process.hrtime.bigint();
require("/work/main/stacks/config");
const t3 = process.hrtime.bigint();
console.log("zod", Number(t1-t0)/1e6, "schemas", Number(t2-t1)/1e6, "stacks/config", Number(t3-t2)/1e6);
