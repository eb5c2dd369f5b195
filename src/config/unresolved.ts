/**
 * Values a deployment tool has not resolved yet (CDK tokens) are left unchecked by the model. config/ knows no
 * such tool: the construct layer, which loads aws-cdk-lib, installs its check here (`setUnresolvedCheck`), so
 * the command line, which never loads aws-cdk-lib, runs the model with every value known.
 */
let unresolvedCheck: (value: unknown) => boolean = () => false;

/** Whether `value` is (or holds) a value not resolved until deployment. */
export function isUnresolved(value: unknown): boolean {
  return unresolvedCheck(value);
}

/** Installs the check that recognises unresolved values (the construct layer calls it once, on load). */
export function setUnresolvedCheck(check: (value: unknown) => boolean): void {
  unresolvedCheck = check;
}
