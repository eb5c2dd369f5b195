import { Token } from 'aws-cdk-lib';
import { IRSA_ROLE_ANNOTATION, WorkloadIdentity, WorkloadIdentityKind } from '../../src/spark-operator';

describe('WorkloadIdentity', () => {
  test('IRSA annotates with the role ARN', () => {
    const id = WorkloadIdentity.irsa('arn:aws:iam::123456789012:role/spark-jobs');
    expect(id.kind).toBe(WorkloadIdentityKind.IRSA);
    expect(id.serviceAccountAnnotations()).toEqual({ [IRSA_ROLE_ANNOTATION]: 'arn:aws:iam::123456789012:role/spark-jobs' });
  });

  test('accepts partitions other than aws and role paths', () => {
    expect(WorkloadIdentity.irsa('arn:aws-cn:iam::123456789012:role/team/spark').roleArn).toBe('arn:aws-cn:iam::123456789012:role/team/spark');
  });

  test('accepts an unresolved CDK token (a chart inside a CDK app)', () => {
    const arn = Token.asString({ resolve: () => 'x' });
    expect(WorkloadIdentity.podIdentity(arn).roleArn).toBe(arn);
  });

  test('Pod Identity and the node role carry no annotation; custom annotations are copied', () => {
    expect(WorkloadIdentity.podIdentity('arn:aws:iam::123456789012:role/r').serviceAccountAnnotations()).toEqual({});
    expect(WorkloadIdentity.nodeRole().serviceAccountAnnotations()).toEqual({});
    const custom = WorkloadIdentity.fromAnnotations({ 'iam.gke.io/gcp-service-account': 'spark@p.iam.gserviceaccount.com' });
    const copy = custom.serviceAccountAnnotations();
    copy.x = 'y';
    expect(custom.serviceAccountAnnotations()).toEqual({ 'iam.gke.io/gcp-service-account': 'spark@p.iam.gserviceaccount.com' });
  });

  test.each([
    'arn:aws:iam::123:role/short-account', 'arn:aws:iam::123456789012:user/someone', 'spark-jobs', 'arn:aws:s3:::bucket',
  ])('fails on the role ARN %s', arn => {
    expect(() => WorkloadIdentity.irsa(arn)).toThrow(/^roleArn: .* is not valid; expected an IAM role ARN/);
  });

  test('fails on an annotation key that is not a qualified name', () => {
    expect(() => WorkloadIdentity.fromAnnotations({ 'bad key': 'x' })).toThrow(/^identity annotations key: 'bad key' is not valid/);
  });
});
