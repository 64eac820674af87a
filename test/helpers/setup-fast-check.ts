import fc from 'fast-check';

// Property tests run with a fixed seed so CI is repeatable; FC_SEED=random explores new cases locally.
const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed ? Number(seed) : 20261125 });
