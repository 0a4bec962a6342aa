// Event reasons of the executor's own outcomes. The reason of an applied op and the writer that
// runs it come from the one op table (plan/op-table.ts: eventReasonOf, writerOf).
export const FAILED_REASON = 'ApplyFailed';
export const DEPENDENCY_FAILED_REASON = 'DependencyFailed';
