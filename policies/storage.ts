import { ResourceValidationPolicy } from "@pulumi/policy";
import { defaultOf } from "../providers/runtime/schema";
import { schema } from "../providers/storage/schema";
import { flowNexusType } from "./types";

const BUCKET = flowNexusType("StorageBucket");

/** A public bucket serves its objects to anyone: only named buckets may be. */
export const noPublicBucket: ResourceValidationPolicy = {
    name: "no-public-bucket",
    description: "Storage buckets are private unless their name is in allowedPublicBuckets.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedPublicBuckets: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== BUCKET || args.props.public !== true) return;
        const { allowedPublicBuckets } = args.getConfig<{ allowedPublicBuckets: string[] }>();
        if (!allowedPublicBuckets.includes(args.props.name)) {
            reportViolation(
                `bucket ${args.props.name} is public: set public: false, or add "${args.props.name}" ` +
                    "to allowedPublicBuckets in the policy config.",
            );
        }
    },
};

/** Without a size limit one upload can fill the disk or the bill. */
export const bucketSizeLimit: ResourceValidationPolicy = {
    name: "bucket-size-limit",
    description: "Storage buckets set a fileSizeLimit no larger than maxFileSizeLimit bytes.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            // By default no larger than a bucket's own default.
            maxFileSizeLimit: { type: "integer", minimum: 1, default: defaultOf(schema.shape.fileSizeLimit) as number },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== BUCKET) return;
        const { maxFileSizeLimit } = args.getConfig<{ maxFileSizeLimit: number }>();
        const limit = args.props.fileSizeLimit;
        if (limit === undefined || limit === null) {
            reportViolation(`bucket ${args.props.name} has no fileSizeLimit: set one of at most ${maxFileSizeLimit} bytes.`);
        } else if (typeof limit === "number" && limit > maxFileSizeLimit) {
            reportViolation(
                `bucket ${args.props.name} allows ${limit}-byte objects: set fileSizeLimit to at most ${maxFileSizeLimit}.`,
            );
        }
    },
};
