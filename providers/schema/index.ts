export { DatabaseSchema, DatabaseSchemaArgs, Migration } from "./resource";
