export { type Bar, barChart } from './bar-chart.ts';
export { escapeHtml } from './escape-html.ts';
