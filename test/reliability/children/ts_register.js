// Lets child processes and worker threads spawned by the reliability tests
// run the TypeScript sources directly (no dist/ build, no ts-node): each
// .ts file is transpiled on require with TypeScript's transpileModule.
//   node -r ./test/reliability/children/ts_register.js some_child.ts
'use strict';
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTs(module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
    },
  });
  module._compile(out.outputText, filename);
};
