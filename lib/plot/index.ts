/** Plots for reports (PNG + SVG/PDF beside it): see docs/ARCHITECTURE.md ("lib/plot"). */
export { lineChart, barChart, seriesStyles, compactNumber, type LineChartOptions, type LineSeries, type BarChartOptions } from './charts.js';
export { imageGrid, heatmap, decisionRegions, type ImageGridOptions, type HeatmapOptions, type DecisionRegionOptions } from './images.js';
export { FONT_FAMILY, PALETTE, FIGURE_FORMATS, figureFormats, parseFormats, setFigureFormats, type VectorFormat } from './canvas.js';
export { ema, autoSmoothing } from './smooth.js';
export { stepCurveChart, type CurveSeries } from './curves.js';
