export { RealtimeSubscription, RealtimeSubscriptionArgs } from "./resource";
