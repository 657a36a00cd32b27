export { accuracy, confusionMatrix } from './classification.js';
