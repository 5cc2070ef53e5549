/** One Jest run for every TypeScript package; tests sit beside the code they test. */
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/plugins',
    '<rootDir>/backend',
    '<rootDir>/gateway',
    '<rootDir>/renode',
    '<rootDir>/test',
    '<rootDir>/firmware/sdk',
  ],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // cborg publishes only an "import" condition, which Jest's CommonJS resolver does not try.
  moduleNameMapper: { '^cborg$': '<rootDir>/node_modules/cborg/cborg.js' },
  transformIgnorePatterns: ['/node_modules/(?!(msw|@mswjs|until-async|cborg)/)'],
};
