import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one worker per core keeps memory-heavy tests from competing.
    maxWorkers: 2,
  },
});
