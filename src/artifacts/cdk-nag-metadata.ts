import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One cdk-nag rule accepted on a resource, with the reason. */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
}

/**
 * Records accepted cdk-nag findings on every CloudFormation resource under `scope`, as the `cdk_nag`
 * metadata cdk-nag reads (cdk-nag itself is only a dev dependency of this library).
 */
export function suppressFindings(scope: IConstruct, suppressions: NagSuppression[]): void {
  for (const c of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(c)) continue;
    const existing = (c.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as NagSuppression[];
    const merged = [...existing, ...suppressions.filter(s => !existing.some(e => e.id === s.id))];
    c.addMetadata('cdk_nag', { rules_to_suppress: merged });
  }
}
