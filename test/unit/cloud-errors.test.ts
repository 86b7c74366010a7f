/** How the E2B SDK's own error classes reach users: each kind with what to do about it. */
import { strict as assert } from "assert";
import { e2bError } from "../../providers/runtime/cloud-errors";

/** An error as the E2B SDK throws it: a named class (e2b's errors.ts). */
function sdkError(name: string, message: string): Error {
    const err = new Error(message);
    err.name = name;
    return err;
}

describe("unit: E2B's errors", function () {
    it("a request past its timeout is a timeout, with what to do", function () {
        const err = e2bError(sdkError("TimeoutError", "Request timed out"), "running a command in E2B sandbox sbx-1");
        assert.equal(err.failure, "timeout");
        assert.match(err.message, /^running a command in E2B sandbox sbx-1 failed: E2B did not answer in time \(E2B answered Request timed out\)\. Run it again/);
    });

    it("arguments E2B refuses (a timeout above the plan's) are invalid, naming the plan", function () {
        const err = e2bError(sdkError("InvalidArgumentError", "Timeout cannot be greater than 1 hours"), "creating an E2B sandbox");
        assert.equal(err.failure, "invalid");
        assert.equal(err.status, 400);
        assert.match(err.message, /refused the request as invalid .*Timeout cannot be greater than 1 hours.*what your E2B plan allows/);
    });

    it("the other named classes keep their kinds", function () {
        assert.equal(e2bError(sdkError("AuthenticationError", "bad key"), "x").failure, "unauthorized");
        assert.equal(e2bError(sdkError("RateLimitError", "slow down"), "x").failure, "rate-limited");
        assert.equal(e2bError(sdkError("SandboxNotFoundError", "gone"), "x").failure, "not-found");
    });
});
