// worker_threads entry of workers.test.ts: trains with the given seed and
// posts the loss bit patterns back (TypeScript sources via ts_register).
'use strict';
const { parentPort, workerData } = require('worker_threads');
require('./ts_register.js');
const { trainLosses } = require('./train_child.ts');

const { seed, steps, threads, hold } = workerData;
const losses = trainLosses(seed, steps, threads);
// `hold`: keep ~32 MiB of tensors alive so termination has something to free.
const kept = hold ? require('../../../lib').zeros([8 * 1024 * 1024]) : null;
parentPort.postMessage({ losses, kept: kept ? kept.numel : 0 });
