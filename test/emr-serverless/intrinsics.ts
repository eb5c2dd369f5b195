/**
 * Evaluates the CloudFormation intrinsics CDK emits in outputs (Ref, Fn::GetAtt, Fn::Join, Fn::Select,
 * Fn::Split) with stand-in values, the way CloudFormation would at deploy time.
 */
export function evaluate(value: any, attrs: (logicalId: string, attr?: string) => string): any {
  if (Array.isArray(value)) return value.map(v => evaluate(v, attrs));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = value[k];
    switch (k) {
      case 'Ref':
        return { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' }[arg as string] ?? attrs(arg);
      case 'Fn::GetAtt':
        return attrs(arg[0], arg[1]);
      case 'Fn::Join':
        return (evaluate(arg[1], attrs) as string[]).join(arg[0]);
      case 'Fn::Select':
        return evaluate(arg[1], attrs)[Number(arg[0])];
      case 'Fn::Split':
        return String(evaluate(arg[1], attrs)).split(arg[0]);
    }
  }
  return Object.fromEntries(keys.map(k => [k, evaluate(value[k], attrs)]));
}
