/**
 * The evaluator's public entry: what datasets/, server/ and scripts/ use. Everything else in this
 * folder is internal (benchmarks and tests may reach in to measure and check the parts).
 *
 *   validate()  the input rules at the depth asked (listing, headers), problems with stable codes
 *   evaluate()  per image (workers) → ordered float32 reduction → metrics and warnings
 */
export { evaluate, decodeOnlyPass, DEFAULT_MAX_PIXELS, type EvaluateOptions, type EvaluationResult } from './run/evaluate.ts';
export { EVALUATOR_VERSION } from './version.ts';
export { provenanceOf, fileSha256, namesHash, groundTruthHash, type Provenance } from './provenance.ts';
export {
  bootstrap, bootstrapParallel, bootstrapSeed, seedFor, parseSeed, strataOf, resamplePlan, resampleWeights, resampleMetrics, packContributions, selectRows,
  packSamples, unpackSamples, BOOTSTRAP_METRICS, BOOTSTRAP_B, DESIGN,
  type BootstrapResult, type BootstrapMetric, type ContributionTable, type Design, type Estimates,
} from './statistics/bootstrap.ts';
export { bcInterval, intervalsUnreliable, RELIABLE_IMAGES_PER_CLASS, paired, pairSpread, rankIntervals, spreadFactor, studentizedInterval, type PairedResult, type RankInterval } from './statistics/intervals.ts';
export { classGroundTruth, confusionPairs, perImageScores, type ConfusionPair } from './metrics/accumulator.ts';
export { validate, parseMethodTxt, CLI_POLICY, UPLOAD_POLICY, MAX_MATCH_BYTES, MAX_METHOD_BYTES, type ValidationPolicy, type Validation, type ValidateOptions, type MethodMeta } from './input/validate.ts';
export { HINTS, problem, RULES, RuleError, sortProblems, type Problem, type RuleCode, type Severity } from './input/rules.ts';
export { InputError, type Warning, type WarningCode } from './input/problems.ts';
export { openPredictionSource, DirectorySource, ZipSource, TooLargeError, DEFAULT_SOURCE_LIMITS, type PredictionSource, type SourceLimits } from './input/sources.ts';
export { parseMatch, matchToObject, type Match } from './input/match.ts';
export { parseNamesList, splitLines } from './input/names.ts';
export { resultToJson, fullResultJson, bootstrapJson, firstDifference, formatSummary, formatProblems, fmt, type ResultJson, type Difference } from './report.ts';
export { METRICS, METRIC_KEYS, METRIC_GROUPS, METRIC_TABLE, metricInfo, metricsOf, pickScalars, type MetricGroup, type MetricInfo, type MetricKey, type ScalarMetrics } from './metrics/metrics.ts';
export { PairPool, defaultWorkers } from './run/pool.ts';
export { buildGtStore, type BuildGtOptions } from './run/gt-cache.ts';
export type { GtStore, GtStoreBuild } from './run/gt-store.ts';
export { IGNORE_ID } from './metrics/image-record.ts';
/** Mask reading, for the dataset checker. */
export { readPngHeader, decodePngRuns, decodePng } from './input/png.ts';
export { RunBuilder } from './metrics/runs.ts';
