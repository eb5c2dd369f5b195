import { execFileSync } from 'child_process';
import { venvBin } from '../artifacts/python';
import { evaluate } from '../emr-serverless/intrinsics';

/** One policy document of a template, with where it is. */
export interface TemplatePolicy {
  /** `<logical id>.<property path>`, e.g. `JobRoleDefaultPolicy1234.PolicyDocument`. */
  readonly where: string;
  /** The document, intrinsics resolved to deploy-time stand-ins. */
  readonly document: any;
}

/** A parliament finding on one policy. */
export interface IamFinding {
  readonly where: string;
  readonly issue: string;
  readonly title: string;
  readonly severity: string;
  readonly detail: any;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/**
 * Deploy-time stand-ins in each resource type's real ARN and name format, so that parliament checks the
 * resources of every statement against the actions' resource types (a stand-in such as `Role.Arn` would be
 * reported as a resource mismatch).
 */
function standIns(template: any): (logicalId: string, attr?: string) => string {
  const resources = template.Resources ?? {};
  return (logicalId, attr) => {
    const type: string = resources[logicalId]?.Type ?? '';
    const name = logicalId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 40);
    const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) => `arn:aws:${service}:${region}:${account}:${resource}`;
    const ref: { [type: string]: string } = {
      'AWS::S3::Bucket': `${name}-bucket`,
      'AWS::IAM::Role': `${name}-role`,
      'AWS::KMS::Key': '1234abcd-12ab-34cd-56ef-1234567890ab',
      'AWS::Logs::LogGroup': `/aws/${name}`,
      'AWS::Lambda::Function': `${name}-function`,
      'AWS::StepFunctions::StateMachine': arn('states', `stateMachine:${name}`),
      'AWS::EMRServerless::Application': '00app',
      'AWS::SNS::Topic': arn('sns', `${name}-topic`),
      'AWS::SQS::Queue': `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
      'AWS::Events::Rule': `${name}-rule`,
    };
    if (attr === undefined || attr === 'Ref') return ref[type] ?? name;
    const arns: { [type: string]: string } = {
      'AWS::S3::Bucket': `arn:aws:s3:::${name}-bucket`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
      'AWS::KMS::Key': arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      'AWS::Logs::LogGroup': arn('logs', `log-group:/aws/${name}:*`),
      'AWS::Lambda::Function': arn('lambda', `function:${name}-function`),
      'AWS::StepFunctions::StateMachine': arn('states', `stateMachine:${name}`),
      'AWS::EMRServerless::Application': arn('emr-serverless', '/applications/00app'),
      'AWS::SQS::Queue': arn('sqs', `${name}`),
      'AWS::Events::Rule': arn('events', `rule/${name}-rule`),
      'AWS::Scheduler::ScheduleGroup': arn('scheduler', `schedule-group/${name}`),
    };
    if (attr === 'Arn') return arns[type] ?? arn('unknown', name);
    if (attr === 'ApplicationId') return '00app';
    return `${name}-${attr.toLowerCase()}`;
  };
}

/** Every IAM policy document of a template: identity policies (inline, attached, managed) and resource policies. */
export function templatePolicies(template: any): TemplatePolicy[] {
  const attrs = standIns(template);
  const found: TemplatePolicy[] = [];
  const add = (where: string, doc: unknown) => {
    if (doc !== undefined) found.push({ where, document: evaluate(doc, attrs) });
  };
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        add(`${id}.PolicyDocument`, p.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        add(`${id}.AssumeRolePolicyDocument`, p.AssumeRolePolicyDocument);
        (p.Policies ?? []).forEach((pol: any, i: number) => add(`${id}.Policies[${i}]`, pol.PolicyDocument));
        break;
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        add(`${id}.PolicyDocument`, p.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        add(`${id}.KeyPolicy`, p.KeyPolicy);
        break;
    }
  }
  return found;
}

// parliament's Python API over every document at once (one interpreter start for all templates).
const LINT = `
import json, sys
from parliament import analyze_policy_string
out = []
for item in json.load(sys.stdin):
    policy = analyze_policy_string(json.dumps(item["document"]), include_community_auditors=True)
    for f in policy.findings:
        out.append({"where": item["where"], "issue": f.issue, "title": f.title, "severity": f.severity,
                    "detail": json.loads(json.dumps(f.detail, default=str))})
print(json.dumps(out))
`;

/** parliament's findings (community auditors included) on policy documents. */
export function parliamentFindings(policies: TemplatePolicy[]): IamFinding[] {
  const out = execFileSync(venvBin('python'), ['-c', LINT], { input: JSON.stringify(policies), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}

/** A kind of finding accepted, with why, and a test as narrow as the reason. */
export interface AcceptedFinding {
  readonly issue: string;
  readonly reason: string;
  readonly applies: (finding: IamFinding, policy: TemplatePolicy) => boolean;
}

const statementsOf = (policy: TemplatePolicy): any[] => [policy.document.Statement ?? []].flat();
const listOf = (v: unknown): string[] => (v === undefined ? [] : [v].flat() as string[]);

/** The parliament findings the constructs (and the aws-cdk-lib grants they use) cause and accept. */
export const ACCEPTED_IAM_FINDINGS: AcceptedFinding[] = [
  {
    issue: 'RESOURCE_MISMATCH',
    reason: 'aws-cdk-lib bucket grants use action groups (s3:GetObject*, s3:List*, s3:Abort*); parliament expands them to actions '
      + 'of other resource types (access points, access grants) that the statement\'s bucket and object ARNs never grant. '
      + 'Accepted only when every mismatched action comes from such a wildcard, never from an action written out.',
    applies: (f, policy) => {
      const written = new Set(statementsOf(policy).flatMap(st => listOf(st.Action)));
      const mismatched: string[] = (Array.isArray(f.detail) ? f.detail : []).map((d: any) => d.action);
      const wildcards = [...written].filter(a => a.includes('*'));
      return mismatched.length > 0 && mismatched.every(a => !written.has(a)
        && wildcards.some(w => new RegExp(`^${w.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(a)));
    },
  },
  {
    issue: 'PERMISSIONS_MANAGEMENT_ACTIONS',
    reason: 'iam:PassRole of one named role to EMR Serverless only (condition iam:PassedToService): StartJobRun needs it.',
    applies: (_f, policy) => {
      const iamStatements = statementsOf(policy).filter(st => listOf(st.Action).some(a => a.toLowerCase().startsWith('iam:')));
      return iamStatements.length > 0 && iamStatements.every(st => listOf(st.Action).every(a => a === 'iam:PassRole')
        && listOf(st.Resource).every(r => !r.includes('*'))
        && st.Condition?.StringEquals?.['iam:PassedToService'] === 'emr-serverless.amazonaws.com');
    },
  },
  {
    issue: 'PERMISSIONS_MANAGEMENT_ACTIONS',
    reason: 'a KMS key policy\'s statement for the account root (aws-cdk-lib\'s default key policy) is what lets IAM policies grant use of the key.',
    applies: (_f, policy) => policy.where.endsWith('.KeyPolicy') && keyAdminStatementsAreRootOnly(policy),
  },
  {
    issue: 'RESOURCE_STAR',
    reason: 'in a KMS key policy, Resource * is the key itself.',
    applies: (_f, policy) => policy.where.endsWith('.KeyPolicy'),
  },
  {
    issue: 'RESOURCE_STAR',
    reason: 'logs:DescribeLogGroups, X-Ray and CloudWatch Logs delivery actions support no resource-level permission; accepted only '
      + 'when every action of every Resource * statement is one of them.',
    applies: (_f, policy) => statementsOf(policy).filter(st => listOf(st.Resource).includes('*'))
      .every(st => listOf(st.Action).every(a => NO_RESOURCE_LEVEL.has(a))),
  },
];

/** Actions the Service Authorization Reference lists without resource types. */
const NO_RESOURCE_LEVEL = new Set([
  'logs:DescribeLogGroups', 'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
]);

function keyAdminStatementsAreRootOnly(policy: TemplatePolicy): boolean {
  return statementsOf(policy).filter(st => listOf(st.Action).some(a => a === 'kms:*'))
    .every(st => listOf(st.Principal?.AWS).every(p => /^arn:aws:iam::\d{12}:root$/.test(p)));
}

/**
 * Every IAM policy of the templates, linted: the findings no accepted kind covers. Trust policies
 * (AssumeRolePolicyDocument) are left out: parliament audits permission policies, and a trust policy has
 * no Resource by definition (the execution-role tests check ours).
 */
export function unacceptedIamFindings(templates: any[]): IamFinding[] {
  const policies = templates.flatMap(templatePolicies).filter(p => !p.where.endsWith('.AssumeRolePolicyDocument'));
  const byWhere = new Map(policies.map(p => [p.where, p]));
  return parliamentFindings(policies).filter(f => !ACCEPTED_IAM_FINDINGS.some(a => a.issue === f.issue && a.applies(f, byWhere.get(f.where)!)));
}
