export * from './job-code';
export * from './job-artifact-builder';
export * from './job-artifacts';
export * from './versioned-job-artifact';
// samePythonTarget is internal (the runtime-dependency check uses it).
export {
  PythonArchitecture, PythonTarget, EmrPythonTargetProps, WheelName, PythonTargets, pythonArchitectureOf, pythonTargetForEmr,
  validatePythonTarget, describePythonTarget, pythonTargetId, cpythonTag, compatiblePlatformTags, parseWheelName, wheelIncompatibility,
} from './python-target';
// python-tools (the build Python, requirement names, import scanning) is internal to the builders.
export * from './dependency-archive';
export * from './runtime-dependencies';
