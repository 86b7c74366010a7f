// Mocha's spec reporter, closed by one plain line that CI reads:
// "tests: N passed, N failed, N skipped".
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            console.log(`tests: ${passes} passed, ${failures} failed, ${pending} skipped`);
        });
    }
}

module.exports = SummaryReporter;
