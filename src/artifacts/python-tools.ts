import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { invalidValue } from '../config/errors';

/**
 * The Python that runs pip and reads Python sources at build time (never the target's Python: the build
 * only downloads and unpacks wheels, so any CPython 3.10+ with pip serves every target).
 * `SPARK_DEPLOY_PYTHON` wins; then this checkout's `jobs/.venv`; then `python3` on the PATH.
 */
export function buildPython(): string {
  const fromEnv = process.env.SPARK_DEPLOY_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = path.resolve(__dirname, '..', '..', 'jobs', '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

// Reads requirements and imports with the standard library only (tomllib from 3.11, pip's vendored tomli
// before), so a plain interpreter with pip is enough.
const HELPER = String.raw`
import ast, json, os, sys
cmd = sys.argv[1]
if cmd == 'pyproject':
    try:
        import tomllib
    except ImportError:
        from pip._vendor import tomli as tomllib
    with open(sys.argv[2], 'rb') as f:
        project = tomllib.load(f).get('project', {})
    print(json.dumps({'dependencies': project.get('dependencies', []),
                      'optional': project.get('optional-dependencies', {})}))
elif cmd == 'imports':
    root, own = sys.argv[2], sys.argv[3]
    if not hasattr(sys, 'stdlib_module_names'):
        sys.exit('reading imports needs Python 3.10+ (sys.stdlib_module_names); set SPARK_DEPLOY_PYTHON')
    skip = set(sys.stdlib_module_names) | {own, '__future__'}
    def optional(node):
        # try: import x / except ImportError: the module copes without it.
        return isinstance(node, ast.Try) and any(
            h.type is not None and any(n in ast.dump(h.type) for n in ('ImportError', 'ModuleNotFoundError'))
            for h in node.handlers)
    def type_checking(node):
        return isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.dump(node.test)
    found = {}
    def visit(node, rel):
        for child in ast.iter_child_nodes(node):
            if optional(child) or type_checking(child):
                continue
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for n in names:
                top = n.split('.')[0]
                if top not in skip:
                    found.setdefault(top, set()).add(rel)
            visit(child, rel)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.') and d != '__pycache__')
        for name in sorted(filenames):
            if name.endswith('.py'):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, '/')
                with open(full, 'rb') as f:
                    visit(ast.parse(f.read(), full), rel)
    print(json.dumps({k: sorted(v) for k, v in sorted(found.items())}))
`;

function runHelper(python: string, args: string[]): any {
  try {
    return JSON.parse(execFileSync(python, ['-c', HELPER, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e: any) {
    const detail = (e.stderr ?? e.message ?? '').toString().trim().split('\n').slice(-3).join(' ');
    throw invalidValue('python', python, `could not run it to read Python sources (${detail}); set SPARK_DEPLOY_PYTHON to a CPython 3.10+ with pip`);
  }
}

/** Distributions the runtime provides (Spark itself): never packaged, never required of an archive. */
export const RUNTIME_PROVIDED_DISTRIBUTIONS = ['pyspark', 'py4j'];

/** The distribution name of a PEP 508 requirement, normalized (PEP 503): `Pandas>=2` → `pandas`. */
export function requirementName(requirement: string): string {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement);
  if (!m) throw invalidValue('requirements', requirement, 'expected a PEP 508 requirement such as pandas>=2.0');
  return normalizeDistributionName(m[1]);
}

/** PEP 503 normalization. */
export function normalizeDistributionName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * A project's runtime requirements without what the runtime provides: `[project] dependencies` of its
 * `pyproject.toml` plus, when `sparkLine` is given and the project has it, the `spark<line>` extra (`spark35`
 * for 3.5), which narrows the bounds for that line; or the lines of its `requirements.txt`.
 */
export function projectRequirements(projectDir: string, sparkLine?: string, python: string = buildPython()): string[] {
  const pyproject = path.join(projectDir, 'pyproject.toml');
  const requirementsTxt = path.join(projectDir, 'requirements.txt');
  let requirements: string[];
  if (fs.existsSync(pyproject)) {
    const read = runHelper(python, ['pyproject', pyproject]);
    const extra = sparkLine === undefined ? [] : (read.optional[`spark${sparkLine.replace('.', '')}`] ?? []);
    requirements = [...read.dependencies, ...extra];
  } else if (fs.existsSync(requirementsTxt)) {
    requirements = fs.readFileSync(requirementsTxt, 'utf8').split(/\r?\n/)
      .map(l => l.replace(/(^|\s)#.*$/, '').trim())
      .filter(l => l.length > 0);
    const option = requirements.find(l => l.startsWith('-'));
    if (option) throw invalidValue('requirements.txt', option, 'expected requirements only (pip options such as -r, -e or --index-url are not supported)');
  } else {
    throw invalidValue('projectDir', projectDir, 'expected a directory with a pyproject.toml or a requirements.txt');
  }
  return requirements.filter(r => !RUNTIME_PROVIDED_DISTRIBUTIONS.includes(requirementName(r)));
}

/**
 * The top-level modules a package imports that are neither in the standard library nor the package
 * itself, each with the files importing it: `{ pandas: ['features/feature_validator.py'] }`. Imports under
 * `try: … except ImportError` and `if TYPE_CHECKING:` are optional and left out.
 */
export function thirdPartyImports(packageDir: string, python: string = buildPython()): { [module: string]: string[] } {
  return runHelper(python, ['imports', packageDir, path.basename(packageDir)]);
}
