/**
 * ESM packages write `const require = createRequire(import.meta.url)`; once Babel turns them into CommonJS the
 * module already has `require`, and redeclaring it breaks the generated imports. Drop that declaration.
 */
module.exports = function dropCreateRequire() {
  return {
    visitor: {
      VariableDeclarator(path) {
        const { id, init } = path.node;
        if (
          id.type === 'Identifier' &&
          id.name === 'require' &&
          init &&
          init.type === 'CallExpression' &&
          init.callee.name === 'createRequire'
        ) {
          path.remove();
        }
      },
    },
  };
};
