/**
 * Unit prices of a run's resources, per region, with where they come from. Override any of them from the CLI
 * (`--price-vcpu-hour`, `--price-gb-hour`, `--price-storage-gb-hour`); the table is for estimates, not bills.
 */
export interface UnitPrices {
  /** USD per vCPU-hour. */
  readonly vcpuHour: number;
  /** USD per GB-hour of memory. */
  readonly memoryGbHour: number;
  /** USD per GB-hour of storage (EMR Serverless: beyond the 20 GB per worker that is free). */
  readonly storageGbHour: number;
  /** Where the numbers come from. */
  readonly source: string;
  /** When they were read (YYYY-MM-DD). */
  readonly asOf: string;
  /** False when not read in a stored copy of the source: check before you rely on them. */
  readonly confirmed: boolean;
}

const EMR_PRICING = 'https://aws.amazon.com/emr/pricing/ (EMR Serverless tab)';
const FARGATE_PRICING = 'https://aws.amazon.com/fargate/pricing/ (Linux/x86 on-demand, as a stand-in for pod resources)';

// EMR Serverless x86_64 on-demand. The values are AWS's published us-east-1/us-west-2 rates as we know them;
// no stored copy of the pricing page was available when they were written, so they are marked unconfirmed.
const EMR_SERVERLESS: Record<string, Omit<UnitPrices, 'source' | 'asOf' | 'confirmed'>> = {
  'us-east-1': { vcpuHour: 0.052624, memoryGbHour: 0.0057785, storageGbHour: 0.000111 },
  'us-west-2': { vcpuHour: 0.052624, memoryGbHour: 0.0057785, storageGbHour: 0.000111 },
};
const EMR_SERVERLESS_ARM: Record<string, Omit<UnitPrices, 'source' | 'asOf' | 'confirmed'>> = {
  'us-east-1': { vcpuHour: 0.042094, memoryGbHour: 0.004628, storageGbHour: 0.000111 },
  'us-west-2': { vcpuHour: 0.042094, memoryGbHour: 0.004628, storageGbHour: 0.000111 },
};
// Kubernetes has no per-run price of its own: pods are priced at AWS Fargate's per-vCPU and per-GB rates.
const KUBERNETES_POD: Record<string, Omit<UnitPrices, 'source' | 'asOf' | 'confirmed'>> = {
  'us-east-1': { vcpuHour: 0.04048, memoryGbHour: 0.004445, storageGbHour: 0.000111 },
  'us-west-2': { vcpuHour: 0.04048, memoryGbHour: 0.004445, storageGbHour: 0.000111 },
};
const AS_OF = '2026-12-01';

/** The regions the table knows. */
export function pricedRegions(): string[] {
  return Object.keys(EMR_SERVERLESS);
}

/** The unit prices for a target and region, or undefined when the table has no row (give them as flags). */
export function unitPrices(target: 'emr-serverless' | 'kubernetes', region: string, arm = false): UnitPrices | undefined {
  const table = target === 'kubernetes' ? KUBERNETES_POD : arm ? EMR_SERVERLESS_ARM : EMR_SERVERLESS;
  const row = table[region];
  if (!row) return undefined;
  return { ...row, source: target === 'kubernetes' ? FARGATE_PRICING : EMR_PRICING, asOf: AS_OF, confirmed: false };
}

/** Resource-hours of a run, the units it is billed in. */
export interface ResourceHours {
  readonly vcpuHours: number;
  readonly memoryGbHours: number;
  readonly storageGbHours: number;
}

/** The cost of a run, with the arithmetic shown. */
export interface RunCost {
  readonly usd: number;
  readonly hours: ResourceHours;
  readonly prices: UnitPrices;
  /** `vCPU-h × price + GB-h × price + storage GB-h × price = total`. */
  readonly arithmetic: string;
}

/** Prices resource-hours: vCPU-hours × vCPU price + memory GB-hours × GB price + storage GB-hours × storage price. */
export function priceRun(hours: ResourceHours, prices: UnitPrices): RunCost {
  const parts = [hours.vcpuHours * prices.vcpuHour, hours.memoryGbHours * prices.memoryGbHour, hours.storageGbHours * prices.storageGbHour];
  const usd = parts.reduce((a, b) => a + b, 0);
  const arithmetic = `${hours.vcpuHours} vCPU-h × $${prices.vcpuHour} + ${hours.memoryGbHours} GB-h × $${prices.memoryGbHour} + `
    + `${hours.storageGbHours} storage GB-h × $${prices.storageGbHour} = $${usd.toFixed(6)}`;
  return { usd, hours, prices, arithmetic };
}
