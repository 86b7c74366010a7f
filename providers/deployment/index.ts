export { Deployment, DeploymentArgs, TEMPLATES, Template, Source } from "./resource";
export { restartDeployment, readDeployment, deploymentDir, DeploymentRecord } from "./local";
export { hashDirectory } from "./source";
