import { barChart, stepCurveChart } from './lib/plot/index.js';
import { newRunContext, withRunContext } from './lib/report/context.js';
const ctx = newRunContext();
withRunContext(ctx, () => {
  const inits: Record<string, number[]> = {
    'He normal': [0.55, 0.49, 0.396, 0.411, 0.393, 0.417, 0.406, 0.429, 0.425, 0.405],
    'Xavier uniform': [0.325, 0.235, 0.18, 0.139, 0.105, 0.0739, 0.0531, 0.0392, 0.0272, 0.0185],
    'N(0, 0.01²)': [0.0692, 7.8e-3, 1e-3, 1.2e-4, 1.3e-5, 1.5e-6, 1.7e-7, 2e-8, 2.3e-9, 2.4e-10],
    'N(0, 1)': [6.92, 78.2, 1000, 1.2e4, 1.3e5, 1.5e6, 1.7e7, 2e8, 2.3e9, 2.4e10],
  };
  const t = performance.now();
  barChart('/tmp/p3/init.png', { title: 'Post-ReLU activation std per layer (10 × 256 units, Fashion-MNIST input)', xLabel: 'layer', yLabel: 'std of activations (log scale)', logY: true,
    labels: Array.from({ length: 10 }, (_, i) => `${i + 1}`), series: Object.entries(inits).map(([label, data]) => ({ label, data })) });
  console.log('bar ms', performance.now() - t);
  barChart('/tmp/p3/acc.png', { title: 'Final validation accuracy after 2 epochs (mean ± std, 3 seeds)', xLabel: 'activation', yLabel: 'accuracy', labels: ['sigmoid','tanh','relu','leakyRelu','elu','swish','gelu'], series: [{ label: 'validation accuracy', data: [0.1,0.54,0.33,0.34,0.57,0.45,0.41], errors: [0.01,0.02,0.03,0.02,0.01,0.05,0.02] }], format: (v) => v.toFixed(3) });
  const n = 300; const steps = { loss: Array.from({ length: n }, (_, i) => 2 * Math.exp(-i / 80) + 0.3 + 0.3 * Math.random()) };
  const curve = { steps, epochSteps: Array(10).fill(30), epochs: { val_loss: Array.from({ length: 10 }, (_, e) => 2 * Math.exp(-(e + 1) * 30 / 80) + 0.45) } };
  const t2 = performance.now();
  stepCurveChart('/tmp/p3/curve.png', { title: 'Loss per step', yLabel: 'cross-entropy', stepIs: 'a batch of 32', series: [{ label: 'train', curve, key: 'loss' }, { label: 'validation', curve, key: 'val_loss', per: 'epoch' }] });
  console.log('curve ms', performance.now() - t2);
});
for (const f of ctx.figures) console.log(f.file, f.vector, f.layoutProblems);
import { setFigureFormats, lineChart } from './lib/plot/index.js';
for (const f of [[], ['svg'], ['pdf']] as const) {
  setFigureFormats([...f]);
  const t = performance.now();
  for (let i = 0; i < 5; i++) lineChart('/tmp/p3/t.png', { title: 'Loss', xLabel: 'epoch', yLabel: 'loss', series: [{ label: 'train', data: Array.from({length: 300}, () => Math.random()), smooth: 0.9 }, { label: 'val', data: [1,2,3,4,5], x: [60,120,180,240,300] }] });
  console.log(f, ((performance.now() - t) / 5).toFixed(0), 'ms per chart');
}
