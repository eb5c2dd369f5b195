import { CfnTag, Duration, Token } from 'aws-cdk-lib';
import { EmrServerlessApplicationProps } from './application-props';
import { invalidValue } from '../config/errors';
import { isEmrImageUri } from '../config/image-references';
import { EmrRelease } from '../config/releases';

// The CreateApplication field patterns (EMR Serverless API reference) the application checks at synth time.
const NAME_PATTERN = /^[A-Za-z0-9._/#-]{1,64}$/;
const APPLICATION_ID_PATTERN = /^[0-9a-z]{1,64}$/;
const PROMETHEUS_URL_PATTERN = /^https:\/\/aps-workspaces\.([a-z]{2}-[a-z-]{1,20}-[1-9])\.amazonaws(\.[0-9A-Za-z]{2,4})+\/workspaces\/[-_.0-9A-Za-z]{1,100}\/api\/v1\/remote_write$/;
const IDENTITY_CENTER_PATTERN = /^arn:(aws[a-zA-Z0-9-]*):sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
const TAG_PATTERN = /^[A-Za-z0-9 /_.:=+@-]*$/;

/** Throws unless the name is 1-64 letters, digits and `. _ / # -` (tokens are not checked). */
export function validateApplicationName(name: string | undefined): void {
  if (name !== undefined && !Token.isUnresolved(name) && !NAME_PATTERN.test(name)) {
    throw invalidValue('applicationName', name, 'expected 1-64 letters, digits and . _ / # -');
  }
}

/** Throws unless the ID is an EMR Serverless application ID (tokens are not checked). */
export function validateApplicationId(id: string): void {
  if (!Token.isUnresolved(id) && !APPLICATION_ID_PATTERN.test(id)) {
    throw invalidValue('applicationId', id, 'expected an EMR Serverless application id: 1-64 lowercase letters and digits');
  }
}

/**
 * Checks the props that depend on the release (scheduler, Prometheus) and those the service would refuse
 * (images, Identity Center, security groups, managed persistence); throws naming the field.
 */
export function validateApplicationFeatures(props: EmrServerlessApplicationProps, release: EmrRelease): void {
  const label = release.label;
  if (props.maxConcurrentRuns !== undefined || props.queueTimeout !== undefined) {
    if (!release.schedulerConfiguration) {
      throw invalidValue(props.maxConcurrentRuns !== undefined ? 'maxConcurrentRuns' : 'queueTimeout',
        props.maxConcurrentRuns ?? props.queueTimeout?.toMinutes(), `job concurrency and queueing need EMR 7.0.0 or later (release is ${label})`);
    }
  }
  const maxRuns = props.maxConcurrentRuns;
  if (maxRuns !== undefined && !Token.isUnresolved(maxRuns) && (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > 1000)) {
    throw invalidValue('maxConcurrentRuns', maxRuns, 'expected a whole number from 1 to 1000');
  }
  if (props.queueTimeout) wholeMinutes('queueTimeout', props.queueTimeout, 15, 720);
  const url = props.prometheusRemoteWriteUrl;
  if (url !== undefined) {
    if (!release.prometheusMonitoring) {
      throw invalidValue('prometheusRemoteWriteUrl', url, `Prometheus metrics need EMR 7.1.0 or later (release is ${label})`);
    }
    if (!Token.isUnresolved(url) && !PROMETHEUS_URL_PATTERN.test(url)) {
      throw invalidValue('prometheusRemoteWriteUrl', url, 'expected https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/api/v1/remote_write');
    }
  }
  for (const field of ['imageUri', 'driverImageUri', 'executorImageUri'] as const) {
    const uri = props[field];
    if (uri !== undefined && !Token.isUnresolved(uri) && !isEmrImageUri(uri)) {
      throw invalidValue(field, uri, 'expected an ECR image URI with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:7.12');
    }
  }
  if (props.identityCenterInstanceArn !== undefined && !Token.isUnresolved(props.identityCenterInstanceArn)
    && !IDENTITY_CENTER_PATTERN.test(props.identityCenterInstanceArn)) {
    throw invalidValue('identityCenterInstanceArn', props.identityCenterInstanceArn, 'expected arn:<partition>:sso:::instance/ssoins-<16 characters>');
  }
  if (props.securityGroups && !props.vpc) {
    throw invalidValue('securityGroups', props.securityGroups.length, 'security groups need a vpc');
  }
  if (props.securityGroups && (props.securityGroups.length < 1 || props.securityGroups.length > 5)) {
    throw invalidValue('securityGroups', props.securityGroups.length, 'EMR Serverless takes 1 to 5 security groups');
  }
  if (props.managedPersistence === false && props.managedPersistenceKey) {
    throw invalidValue('managedPersistenceKey', props.managedPersistenceKey.keyArn, 'a key applies only when managedPersistence is on');
  }
}

/** The whole minutes of a duration in [min, max]; throws naming `field` otherwise (tokens pass unchecked). */
export function wholeMinutes(field: string, duration: Duration, min: number, max: number): number {
  if (Token.isUnresolved(duration.toMinutes({ integral: false }))) return duration.toMinutes();
  const minutes = duration.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < min || minutes > max) {
    throw invalidValue(field, duration.toHumanString(), `expected whole minutes from ${min} to ${max}`);
  }
  return minutes;
}

/** The application's tags, each key and value checked against the service's tag rules. */
export function renderTags(tags: { [key: string]: string } | undefined): CfnTag[] | undefined {
  if (!tags) return undefined;
  return Object.entries(tags).map(([key, value]) => {
    if (key.length < 1 || key.length > 128 || !TAG_PATTERN.test(key)) {
      throw invalidValue('tags', key, 'tag keys are 1-128 letters, digits, spaces and _ . : / = + - @');
    }
    if (value.length > 256 || !TAG_PATTERN.test(value)) {
      throw invalidValue(`tags.${key}`, value, 'tag values are 0-256 letters, digits, spaces and _ . : / = + - @');
    }
    return { key, value };
  });
}
