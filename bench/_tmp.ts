import { benchEnrichment } from '/work/main/bench/enrichment';
const r = await benchEnrichment({ cachedRuns: 20, indicators: 1000 });
console.log(JSON.stringify(r));
