/**
 * The job dependencies both example apps build their artifact with (so both address the same content-hashed
 * key), Spark 3.5 bounds of jobs/pyproject.toml (numpy<2, pandas<2.3, pyarrow<18), one archive per runtime:
 *
 * - emr-7.12.0 on ARM64: CPython 3.9, aarch64, Amazon Linux 2023 (glibc 2.34), from the release catalog;
 * - the Spark Operator example's image on ARM64 nodes: CPython 3.10, aarch64, glibc 2.35 (Ubuntu 22.04), the
 *   Python of apache/spark:3.5.6-java17-python3, which that image is built from (see EXAMPLE_IMAGE_PYTHON).
 *
 * Built offline from the wheels `bash scripts/fetch-dependency-wheels.sh` pins; without findLinks and noIndex,
 * pip resolves the same bounds from PyPI.
 */
import * as path from 'path';
import { JobDependencies, PythonArchitecture, PythonTarget, pythonTargetForEmr } from '../src/artifacts';
import { resolveEmrRelease } from '../src/config/releases';

/** The EMR Serverless example's release. */
export const EXAMPLE_RELEASE_LABEL = 'emr-7.12.0';

/**
 * The Python of the Spark Operator example's image, chosen on purpose:
 * `apache/spark:3.5.6-python3` is the Java 11 image on Ubuntu 20.04, whose `python3` is 3.8 (below the jobs'
 * `requires-python >=3.9`, and numpy 1.26 has no 3.8 wheels); `apache/spark:3.5.6-java17-python3` is built
 * on eclipse-temurin:17-jammy (Ubuntu 22.04): `python3` 3.10, glibc 2.35 (apache/spark-docker
 * 3.5.6/scala2.12-java17-ubuntu/Dockerfile and versions.json; the versions are Ubuntu jammy's python3 and
 * libc6 packages). 3.10 is inside every Spark 3.5 bound the jobs need (numpy 1.26, pandas 2.2, pyarrow 17).
 * ARM64 like the EMR application: the example pins its pods to arm64 nodes.
 */
export const EXAMPLE_IMAGE_PYTHON: PythonTarget = { pythonVersion: '3.10', architecture: PythonArchitecture.AARCH64, glibc: '2.35' };

/** The dependency archive options of the example artifact. */
export function exampleJobDependencies(): JobDependencies {
  const repo = path.join(__dirname, '..');
  const sparkLine = resolveEmrRelease(EXAMPLE_RELEASE_LABEL).sparkLine;
  return {
    targets: [
      { target: pythonTargetForEmr({ releaseLabel: EXAMPLE_RELEASE_LABEL }), sparkLine },
      { target: EXAMPLE_IMAGE_PYTHON, sparkLine: '3.5' },
    ],
    findLinks: [path.join(repo, '.tools', 'wheels', 'cp39-aarch64'), path.join(repo, '.tools', 'wheels', 'cp310-aarch64')],
    noIndex: true,
    cacheDir: path.join(repo, '.tools', 'dependency-archives'),
  };
}
