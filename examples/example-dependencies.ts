/**
 * The job dependencies both example apps build their artifact with (so both address the same content-hashed
 * key): one archive for emr-7.12.0 on ARM64 (CPython 3.9, aarch64, Amazon Linux 2023), Spark 3.5 bounds of
 * jobs/pyproject.toml. Built offline from the wheels `bash scripts/fetch-dependency-wheels.sh` pins; without
 * findLinks and noIndex, pip resolves the same bounds from PyPI.
 */
import * as path from 'path';
import { JobDependencies, pythonTargetForEmr } from '../src/artifacts';
import { resolveEmrRelease } from '../src/config/releases';

/** The EMR Serverless example's release. */
export const EXAMPLE_RELEASE_LABEL = 'emr-7.12.0';

/** The dependency archive options of the example artifact. */
export function exampleJobDependencies(): JobDependencies {
  const repo = path.join(__dirname, '..');
  return {
    targets: [{ target: pythonTargetForEmr({ releaseLabel: EXAMPLE_RELEASE_LABEL }), sparkLine: resolveEmrRelease(EXAMPLE_RELEASE_LABEL).sparkLine }],
    findLinks: [path.join(repo, '.tools', 'wheels', 'cp39-aarch64')],
    noIndex: true,
    cacheDir: path.join(repo, '.tools', 'dependency-archives'),
  };
}
