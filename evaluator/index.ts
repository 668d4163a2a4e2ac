/**
 * The evaluator's public entry: what datasets/, server/ and scripts/ use. Everything else in this
 * folder is internal (benchmarks and tests may reach in to measure and check the parts).
 *
 *   validate()  the input rules at the depth asked (listing, headers), problems with stable codes
 *   evaluate()  per image (workers) → ordered float32 reduction → metrics and warnings
 */
export { evaluate, decodeOnlyPass, DEFAULT_MAX_PIXELS, type EvaluateOptions, type EvaluationResult } from './evaluate.ts';
export { EVALUATOR_VERSION } from './version.ts';
export { provenanceOf, fileSha256, namesHash, groundTruthHash, type Provenance } from './provenance.ts';
export {
  bootstrap, bootstrapParallel, bootstrapSeed, resampleWeights, resampleMetrics, percentileInterval, packContributions, selectRows,
  paired, rankIntervals, packSamples, unpackSamples, BOOTSTRAP_METRICS, BOOTSTRAP_B,
  type BootstrapResult, type BootstrapMetric, type ContributionTable, type PairedResult,
} from './bootstrap.ts';
export { confusionPairs, perImageScores, type ConfusionPair } from './accumulator.ts';
export { validate, parseMethodTxt, CLI_POLICY, UPLOAD_POLICY, MAX_MATCH_BYTES, MAX_METHOD_BYTES, type ValidationPolicy, type Validation, type ValidateOptions, type MethodMeta } from './validate.ts';
export { problem, RULES, RuleError, sortProblems, type Problem, type RuleCode, type Severity } from './rules.ts';
export { InputError, type Warning, type WarningCode } from './problems.ts';
export { openPredictionSource, DirectorySource, ZipSource, TooLargeError, DEFAULT_SOURCE_LIMITS, type PredictionSource, type SourceLimits } from './sources.ts';
export { parseMatch, matchToObject, type Match } from './match.ts';
export { parseNamesList, splitLines } from './names.ts';
export { resultToJson, fullResultJson, bootstrapJson, firstDifference, formatSummary, formatProblems, fmt, type ResultJson, type Difference } from './report.ts';
export { METRICS, METRIC_KEYS, METRIC_GROUPS, METRIC_TABLE, metricInfo, metricsOf, pickScalars, type MetricGroup, type MetricInfo, type MetricKey, type ScalarMetrics } from './metrics.ts';
export { PairPool, defaultWorkers } from './pool.ts';
export { buildGtStore, type BuildGtOptions } from './gt-cache.ts';
export type { GtStore, GtStoreBuild } from './gt-store.ts';
export { IGNORE_ID } from './image-record.ts';
/** Mask reading, for the dataset checker. */
export { readPngHeader, decodePngRuns, decodePng } from './png.ts';
export { RunBuilder } from './runs.ts';
