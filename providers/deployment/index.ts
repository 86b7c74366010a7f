export { Deployment, DeploymentArgs, TEMPLATES, Template, Source } from "./resource";
export { restartDeployment, readDeployment, deploymentDir, probe, ProbeResult, DeploymentRecord } from "./local";
export { hashDirectory } from "./source";
