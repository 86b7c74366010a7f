export { Deployment, DeploymentArgs, Linkable, withServiceRole } from "./resource";
export { TEMPLATES, Template, Source } from "./schema";
export { deploymentDir, readDeployment, DeploymentRecord } from "./record";
export { hashDirectory } from "./source-hash";
