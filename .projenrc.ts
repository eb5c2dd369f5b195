import { awscdk, javascript } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

// The one source of truth for package.json, tsconfig, jest and eslint.
// Edit here, then run `npx projen`.
const project = new awscdk.AwsCdkConstructLibrary({
  name: 'spark-deploy',
  description:
    'Describe a Spark workload once; deploy it to EMR Serverless (AWS CDK) or the Kubeflow Spark Operator (cdk8s) with tuned, validated configuration.',
  author: 'spark-deploy authors',
  authorAddress: 'spark-deploy@users.noreply.github.com',
  repositoryUrl: 'https://github.com/spark-deploy/spark-deploy.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // The newest aws-cdk-lib on PyPI as well as npm: the Python package's `aws-cdk-lib>=` must be installable,
  // and we compile and test against the minimum we declare (projen pins the devDependency to it).
  cdkVersion: '2.275.0',
  jsiiVersion: '~6.0.0',
  constructsVersion: '10.5.1',
  // The jsii Python target: `pip install spark-deploy`, `import spark_deploy` (scripts/python-package.sh).
  publishToPypi: { distName: 'spark-deploy', module: 'spark_deploy' },
  // API.md: jsii-docgen renders it from the assembly; `npx projen build` regenerates it (post-compile spawns
  // docgen), and test/api-docs.test.ts fails when the committed file is not what the current assembly renders.
  docgen: true,
  keywords: ['cdk', 'cdk8s', 'spark', 'emr-serverless', 'spark-operator', 'pyspark'],

  peerDeps: ['cdk8s@^2.70.0', 'cdk8s-plus-27@^2.9.5'],
  bundledDeps: ['@aws-sdk/client-emr-serverless@^3.1169.0', '@aws-sdk/client-s3@^3.1169.0'],
  devDeps: [
    'cdk8s@2.70.106',
    'cdk8s-plus-27@2.9.5',
    'cdk8s-cli@^2.207.0',
    // The aws-cdk CLI, so `npx cdk synth` runs the EMR Serverless example as a user's app (test/examples).
    'aws-cdk@2.1148.1',
    'cdk-nag@2.38.2',
    'ajv@^8.17.1',
    'yaml@^2.8.1',
  ],
  bin: { 'spark-deploy': 'bin/spark-deploy' },

  // No GitHub workflows: CI is `.ci/run` on a clean clone.
  github: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  jestOptions: {
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // test/control-plane needs the local Kubernetes control plane: `npx projen test:k8s` (part of `npm test`).
      testPathIgnorePatterns: ['/node_modules/', '/examples/.*/(cdk.out|dist)/', '/test/control-plane/'],
      // Synthesizing stacks and running cfn-lint/cdk-nag is slow on 2 cores.
      testTimeout: 120_000,
      coverageReporters: ['text-summary', 'lcov'],
    },
  },
  gitignore: [
    '/jobs/.venv*/',
    '/jobs/**/__pycache__/',
    '/jobs/.pytest_cache/',
    '/jobs/.ruff_cache/',
    '/jobs/build/',
    '/jobs/**/*.egg-info/',
    '/.tools/',
    '/out/',
    '/examples/*/cdk.out/',
    '/examples/*/dist/',
    '/spark-warehouse/',
    'metastore_db/',
    'derby.log',
  ],
});

// The npm tarball (and the Python wheel that embeds it) ships jobs/: not its local caches and builds.
for (const pattern of [
  '/jobs/.venv*/', '/jobs/**/__pycache__/', '/jobs/.pytest_cache/', '/jobs/.ruff_cache/', '/jobs/.mypy_cache/',
  '/jobs/build/', '/jobs/**/*.egg-info/', '/out/', '/bench/', '/examples/', '/.tools/', '/.ci/',
]) {
  project.addPackageIgnore(pattern);
}

// Generated CRD classes are not ours to lint.
project.eslint?.addIgnorePattern('src/imports/');

// ---- The Python job package (jobs/) -------------------------------------------------
// `SPARK_LINE` picks the Spark line of the venv: 4.0 (default, emr-spark-8.0.0) or 3.5 (emr-7.x).
const venv = project.addTask('venv', {
  description: 'Create jobs/.venv (if missing) and install spark_jobs with its test extras (SPARK_LINE=4.0|3.5)',
  exec: 'bash jobs/scripts/setup-venv.sh',
  receiveArgs: true,
});
const pyLint = project.addTask('py:lint', {
  description: 'ruff and mypy --strict over the Python job package',
  exec: 'bash jobs/scripts/in-venv.sh ruff check src tests && bash jobs/scripts/in-venv.sh ruff format --check src tests'
    // mypy's settings (strict, files = src) are in jobs/pyproject.toml [tool.mypy].
    + ' && bash jobs/scripts/in-venv.sh mypy',
});
pyLint.prependSpawn(venv);
const pyTest = project.addTask('py:test', {
  description: 'pytest over the Python job package (one Spark line; SPARK_LINE picks it)',
  exec: 'bash jobs/scripts/in-venv.sh python -m pytest -q',
  receiveArgs: true,
});
pyTest.prependSpawn(venv);

// ---- Kubernetes CRD types -----------------------------------------------------------
project.addTask('import', {
  description: 'Regenerate src/imports from the Spark Operator CRDs in ../shared/schemas',
  exec: 'bash scripts/import-crds.sh',
});

// ---- Examples, the main job, benchmarks ---------------------------------------------
project.addTask('examples', {
  description: 'Synthesize the example apps into examples/emr-serverless/cdk.out and examples/spark-operator/dist',
  exec: 'bash scripts/synth-examples.sh',
});
project.addTask('demo', {
  description: 'The main job: set up, synthesize both targets, build the artifact, run the jobs on local Spark (out/demo/)',
  exec: 'bash scripts/demo.sh',
  receiveArgs: true,
});
project.addTask('s3a:jars', {
  description: 'Download the S3A connector, AWS SDK and cloud committer jars of each Spark line into .tools/jars',
  exec: 'bash scripts/fetch-s3a-jars.sh',
  receiveArgs: true,
});


// ---- The jsii Python package (dist/python) ------------------------------------------
// Built before the tests (test/python-package.test.ts installs the wheel in a fresh venv and synthesizes a
// Python CDK app); skipped when the wheel already holds the current assembly. Needs `npx projen compile` first.
const pythonPackage = project.tasks.tryFind('package:python')!;
pythonPackage.reset('bash scripts/python-package.sh build');
pythonPackage.description = 'Build dist/python/spark_deploy-*.whl with jsii-pacmak (its build tools cached in .tools/pip-cache)';
project.testTask.prependSpawn(pythonPackage);

// ---- A real Kubernetes control plane (etcd, kube-apiserver, kube-scheduler, kwok) ----
// Built once from the Go module proxy into .tools/k8s (scripts/k8s-control-plane.sh); started for the
// test/control-plane suite and stopped after it. The unit tests keep each chart they synthesize in
// SPARK_DEPLOY_MANIFESTS_DIR, which the suite dry-runs against the real API server.
const k8sTest = project.addTask('test:k8s', {
  description: 'Start the local Kubernetes control plane (building it the first time), run test/control-plane against it, stop it',
  exec: 'bash scripts/k8s-control-plane.sh run -- npx jest --coverage=false --runInBand --testTimeout=600000 '
    + '--testPathIgnorePatterns /node_modules/ --testMatch "<rootDir>/test/control-plane/**/*.test.ts"',
  receiveArgs: true,
});
project.testTask.prependExec('rm -rf .tools/k8s/manifests');
project.testTask.env('SPARK_DEPLOY_MANIFESTS_DIR', '.tools/k8s/manifests');

// `npm test` runs everything: jest and eslint, then ruff/mypy, pytest on both Spark lines EMR runs (4.0 for
// emr-spark-8.0.0, 3.5 for emr-7.x) and the control-plane suite side by side (scripts/side-by-side.sh says why).
const suites = project.addTask('test:suites', {
  description: 'ruff/mypy, pytest on Spark 4.0 and 3.5, and the control-plane suite, side by side',
  exec: 'bash scripts/side-by-side.sh'
    + ` "py-lint=npx projen ${pyLint.name}"`
    + ` "pytest-spark4.0=SPARK_LINE=4.0 npx projen ${pyTest.name}"`
    + ` "pytest-spark3.5=SPARK_LINE=3.5 npx projen ${pyTest.name}"`
    + ` "control-plane=npx projen ${k8sTest.name}"`,
});
project.testTask.spawn(suites);

project.synth();
