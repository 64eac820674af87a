/**
 * Jest on Node 20 cannot run `import()` without --experimental-vm-modules; the embedded database's CommonJS build
 * imports Node built-ins that way. Rewrite `import(x)` to a promise of `require(x)`, using the module's own require
 * captured before any local `var require` can shadow it.
 */
module.exports = function dynamicImportToRequire({ types: t }) {
  const REQUIRE = '__moduleRequire';
  return {
    visitor: {
      Program: {
        exit(path, state) {
          if (!state.rewrote) return;
          path.unshiftContainer(
            'body',
            t.variableDeclaration('var', [t.variableDeclarator(t.identifier(REQUIRE), t.identifier('require'))]),
          );
        },
      },
      CallExpression(path, state) {
        if (path.node.callee.type !== 'Import') return;
        state.rewrote = true;
        const load = t.arrowFunctionExpression([], t.callExpression(t.identifier(REQUIRE), path.node.arguments));
        path.replaceWith(
          t.callExpression(
            t.memberExpression(
              t.callExpression(t.memberExpression(t.identifier('Promise'), t.identifier('resolve')), []),
              t.identifier('then'),
            ),
            [load],
          ),
        );
      },
    },
  };
};
