import { invalidValue } from '../config/errors';
import { emrReleaseAtLeast, resolveEmrRelease } from '../config/releases';

/** CPU architecture of a Python runtime, as wheel platform tags spell it. */
export enum PythonArchitecture {
  /** 64-bit ARM (AWS Graviton, EMR Serverless `ARM64`). */
  AARCH64 = 'aarch64',
  /** x86-64 (EMR Serverless `X86_64`). */
  X86_64 = 'x86_64',
}

/**
 * The Python a job's dependencies must load in: what a dependency archive is built for and what a
 * target runs. Two targets are the same when all three fields are equal.
 */
export interface PythonTarget {
  /** `major.minor` of CPython, e.g. `3.9`. */
  readonly pythonVersion: string;
  /** The CPU architecture. */
  readonly architecture: PythonArchitecture;
  /** `major.minor` of the runtime's glibc, e.g. `2.34` (Amazon Linux 2023): the newest manylinux tag it loads. */
  readonly glibc: string;
}

/** Properties for `pythonTargetForEmr`. */
export interface EmrPythonTargetProps {
  /** The EMR release label, e.g. `emr-7.12.0`. */
  readonly releaseLabel: string;
  /**
   * The application's architecture as EMR Serverless spells it (`ARM64` or `X86_64`).
   * @default - 'ARM64', the EmrServerlessApplication default
   */
  readonly architecture?: string;
  /**
   * The Python the job runs with: one of the release's Pythons.
   * @default - the release's default Python (the first it lists: 3.9 on emr-7.x, 3.11 on emr-spark-8.0.0)
   */
  readonly pythonVersion?: string;
}

// Amazon Linux 2023 (the OS of EMR 7.x and emr-spark-8 images) ships glibc 2.34; Amazon Linux 2 (EMR 6.x)
// ships 2.26. Source: the Amazon Linux 2023 and Amazon Linux 2 package lists (glibc-2.34 / glibc-2.26).
const AL2023_GLIBC = '2.34';
const AL2_GLIBC = '2.26';
const PYTHON_VERSION = /^3\.(\d{1,2})$/;
const GLIBC_VERSION = /^2\.(\d{1,2})$/;

/** The EMR Serverless architecture name → the wheel architecture. */
export function pythonArchitectureOf(emrArchitecture: string, field = 'architecture'): PythonArchitecture {
  if (emrArchitecture === 'ARM64') return PythonArchitecture.AARCH64;
  if (emrArchitecture === 'X86_64') return PythonArchitecture.X86_64;
  throw invalidValue(field, emrArchitecture, 'expected ARM64 or X86_64');
}

/** The Python an EMR Serverless application of a release and architecture runs. */
export function pythonTargetForEmr(props: EmrPythonTargetProps): PythonTarget {
  const release = resolveEmrRelease(props.releaseLabel, 'releaseLabel');
  const pythonVersion = props.pythonVersion ?? release.pythonVersions[0];
  if (!release.pythonVersions.includes(pythonVersion)) {
    throw invalidValue('pythonVersion', pythonVersion, `${release.label} runs Python ${release.pythonVersions.join(', ')}`);
  }
  return validatePythonTarget({
    pythonVersion,
    architecture: pythonArchitectureOf(props.architecture ?? 'ARM64'),
    glibc: emrReleaseAtLeast(release.label, 7, 0) ? AL2023_GLIBC : AL2_GLIBC,
  });
}

/** Checks a target's fields; returns it. */
export function validatePythonTarget(target: PythonTarget, field = 'target'): PythonTarget {
  if (typeof target?.pythonVersion !== 'string' || !PYTHON_VERSION.test(target.pythonVersion)) {
    throw invalidValue(`${field}.pythonVersion`, target?.pythonVersion, 'expected a CPython 3 major.minor version such as 3.9 or 3.11');
  }
  if (!Object.values(PythonArchitecture).includes(target.architecture)) {
    throw invalidValue(`${field}.architecture`, target.architecture, `expected one of ${Object.values(PythonArchitecture).join(', ')}`);
  }
  if (typeof target.glibc !== 'string' || !GLIBC_VERSION.test(target.glibc) || Number(target.glibc.split('.')[1]) < 17) {
    throw invalidValue(`${field}.glibc`, target.glibc, 'expected the runtime glibc as 2.<minor>, at least 2.17 (manylinux2014), e.g. 2.34 for Amazon Linux 2023');
  }
  return { pythonVersion: target.pythonVersion, architecture: target.architecture, glibc: target.glibc };
}

/** A target in words, for error messages: `CPython 3.9 on aarch64 (glibc 2.34)`. */
export function describePythonTarget(target: PythonTarget): string {
  return `CPython ${target.pythonVersion} on ${target.architecture} (glibc ${target.glibc})`;
}

/** Whether two targets are the same runtime. */
export function samePythonTarget(a: PythonTarget, b: PythonTarget): boolean {
  return a.pythonVersion === b.pythonVersion && a.architecture === b.architecture && a.glibc === b.glibc;
}

/** A short, path-safe name of a target: `cp39-manylinux_2_34_aarch64`. */
export function pythonTargetId(target: PythonTarget): string {
  return `${cpythonTag(target)}-manylinux_${target.glibc.replace('.', '_')}_${target.architecture}`;
}

/** `cp39` for 3.9. */
export function cpythonTag(target: PythonTarget): string {
  return `cp${target.pythonVersion.replace('.', '')}`;
}

/**
 * Every platform tag a wheel may carry to load on the target, newest first: `manylinux_2_<y>_<arch>` for
 * y from the runtime's glibc down to 17, and the `manylinux2014` alias of 2.17. pip's `--platform`
 * takes them literally (it does not widen `manylinux_2_34` to older glibc tags), so the builder passes all.
 */
export function compatiblePlatformTags(target: PythonTarget): string[] {
  const top = Number(target.glibc.split('.')[1]);
  const tags: string[] = [];
  for (let y = top; y >= 17; y--) tags.push(`manylinux_2_${y}_${target.architecture}`);
  tags.push(`manylinux2014_${target.architecture}`);
  return tags;
}

/** A wheel file name's parts (PEP 427: `name-version(-build)?-python-abi-platform.whl`, tags `.`-compressed). */
export interface WheelName {
  readonly name: string;
  readonly version: string;
  readonly pythonTags: string[];
  readonly abiTags: string[];
  readonly platformTags: string[];
}

/** Parses a wheel file name; anything else is an error. */
export function parseWheelName(fileName: string): WheelName {
  const m = /^([A-Za-z0-9_.]+)-([A-Za-z0-9_.!+]+)(?:-\d[A-Za-z0-9_.]*)?-([A-Za-z0-9_.]+)-([A-Za-z0-9_.]+)-([A-Za-z0-9_.]+)\.whl$/.exec(fileName);
  if (!m) throw invalidValue('wheel', fileName, 'expected a wheel file name: name-version-python-abi-platform.whl');
  return { name: m[1], version: m[2], pythonTags: m[3].split('.'), abiTags: m[4].split('.'), platformTags: m[5].split('.') };
}

/**
 * Why a wheel cannot load on the target, or undefined when it can: its Python tag must be the target's
 * CPython (or `abi3` from an older one, or pure `py3`), its platform `any` or a manylinux tag of the
 * target's architecture no newer than its glibc.
 */
export function wheelIncompatibility(fileName: string, target: PythonTarget): string | undefined {
  const wheel = parseWheelName(fileName);
  const minor = Number(target.pythonVersion.split('.')[1]);
  const cp = cpythonTag(target);
  const pythonOk = wheel.pythonTags.some(tag => {
    if (tag === 'py3' || tag === 'py2.py3' || tag === `py3${minor}`) return true;
    const c = /^cp3(\d+)$/.exec(tag);
    if (!c) return false;
    const tagMinor = Number(c[1]);
    // cp39-cp39 for 3.9 only; cp38-abi3 for every CPython from 3.8 on.
    return (tagMinor === minor && wheel.abiTags.some(a => a === cp || a === 'abi3' || a === 'none'))
      || (tagMinor < minor && wheel.abiTags.includes('abi3'));
  });
  if (!pythonOk) {
    return `${fileName} is for Python ${wheel.pythonTags.join('.')}-${wheel.abiTags.join('.')}, not ${describePythonTarget(target)}`;
  }
  const platforms = new Set(compatiblePlatformTags(target));
  if (!wheel.platformTags.some(p => p === 'any' || platforms.has(p))) {
    return `${fileName} is for platform ${wheel.platformTags.join('.')}, not ${describePythonTarget(target)} (which loads ${compatiblePlatformTags(target)[0]} and older manylinux tags)`;
  }
  return undefined;
}

/** The Python-target rules as static methods, for jsii languages (Python), which cannot call free functions. */
export class PythonTargets {
  /** The Python an EMR Serverless application of a release and architecture runs (`pythonTargetForEmr`). */
  public static forEmr(props: EmrPythonTargetProps): PythonTarget {
    return pythonTargetForEmr(props);
  }

  /** Checks a target's fields; returns it. */
  public static validate(target: PythonTarget): PythonTarget {
    return validatePythonTarget(target);
  }

  /** A short, path-safe name of a target: `cp39-manylinux_2_34_aarch64`. */
  public static idOf(target: PythonTarget): string {
    return pythonTargetId(target);
  }

  /** The wheel architecture of an EMR Serverless architecture name (`ARM64` → aarch64, `X86_64` → x86_64). */
  public static architectureOf(emrArchitecture: string): PythonArchitecture {
    return pythonArchitectureOf(emrArchitecture);
  }

  /** A target in words, for messages: `CPython 3.9 on aarch64 (glibc 2.34)`. */
  public static describe(target: PythonTarget): string {
    return describePythonTarget(target);
  }

  /** The CPython wheel tag of a target's Python: `cp39` for 3.9. */
  public static cpythonTag(target: PythonTarget): string {
    return cpythonTag(target);
  }

  /** The platform tags a target loads, newest first (`manylinux_2_34_aarch64` down to `manylinux2014_aarch64`). */
  public static platformTags(target: PythonTarget): string[] {
    return compatiblePlatformTags(target);
  }

  /** Parses a wheel file name (PEP 427); anything else is an error. */
  public static parseWheelName(fileName: string): WheelName {
    return parseWheelName(fileName);
  }

  /** Why a wheel does not run on a target, or undefined when it does. */
  public static wheelIncompatibility(fileName: string, target: PythonTarget): string | undefined {
    return wheelIncompatibility(fileName, target);
  }

  private constructor() {}
}
