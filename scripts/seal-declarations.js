#!/usr/bin/env node
// After `tsc -p tsconfig.build.json` (stripInternal): a class whose only
// constructor is @internal would show an implicit public `new Tensor()` in
// the shipped .d.ts. Declaring it private keeps `new nt.Tensor(...)` out of
// users' code (tensors come from nt.tensor(), nt.zeros(), ...).
'use strict';
const fs = require('fs');
const path = require('path');

const SEALED = [['dist/lib/tensor/tensor.d.ts', 'Tensor']];

for (const [file, cls] of SEALED) {
  const p = path.join(__dirname, '..', file);
  const text = fs.readFileSync(p, 'utf8');
  const head = `export declare class ${cls} {\n`;
  if (!text.includes(head)) throw new Error(`seal-declarations: no "${head.trim()}" in ${file}`);
  if (text.includes(`${head}    private constructor();\n`)) continue;
  fs.writeFileSync(p, text.replace(head, `${head}    private constructor();\n`));
}
