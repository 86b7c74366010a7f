export { FlowNexusPlatform, FlowNexusPlatformArgs, PlatformBackends } from "./platform";
export { Identity, IdentityArgs, identityComplete } from "./identity";
export { Services, ServicesArgs, servicesComplete } from "./services";
export { Application, ApplicationArgs, applicationComplete } from "./application";
export { Operations, OperationsArgs, operationsComplete } from "./operations";
export { Billing, BillingArgs, billingComplete } from "./billing";
