/** PNG plots for reports: see docs/ARCHITECTURE.md ("lib/plot"). */
export { lineChart, barChart, seriesStyles, type LineChartOptions, type LineSeries, type BarChartOptions } from './charts.js';
export { imageGrid, heatmap, decisionRegions, type ImageGridOptions, type HeatmapOptions, type DecisionRegionOptions } from './images.js';
export { FONT_FAMILY, PALETTE } from './canvas.js';
