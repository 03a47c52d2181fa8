// Lets child processes and worker threads spawned by the reliability tests
// run the TypeScript sources directly (no dist/ build, no ts-node): each
// .ts file is transpiled on require with TypeScript's transpileModule, and
// the output cached in the OS temp dir (keyed by path, size and mtime) so
// the many short-lived children of the kill test start fast.
//   node -r ./test/reliability/children/ts_register.js some_child.ts
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

let ts;
const cacheDir = path.join(os.tmpdir(), `nodetorch-ts-cache-${process.getuid ? process.getuid() : 'u'}`);

require.extensions['.ts'] = function compileTs(module, filename) {
  const st = fs.statSync(filename);
  const key = crypto.createHash('sha1').update(`${filename}\0${st.size}\0${st.mtimeMs}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts = ts || require('typescript');
    code = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached); // atomic: concurrent children never read half a file
    } catch {
      // cache is an optimisation only
    }
  }
  module._compile(code, filename);
};
