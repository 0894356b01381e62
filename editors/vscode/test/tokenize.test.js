// Tokenizes a bundled rule file with the extension's TextMate grammar (vscode-textmate + vscode-oniguruma,
// as VS Code itself does) and checks the scopes of keywords, numbers, articles, strings and comments.
// Run: npm test (tests/test_vscode.py runs it under pytest).
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const HERE = path.resolve(__dirname, "..");
const RULE_FILE = process.env.YIBAO_RULE_FILE ||
  path.resolve(HERE, "..", "..", "regulations", "dongying", "dongying-2018.yb");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.yibao") return null;
      const file = path.join(HERE, "syntaxes", "yibao.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.yibao");
}

// Every token of the text: [line number (0-based), token text, innermost scope].
function tokenize(grammar, text) {
  const out = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, number) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const token of result.tokens) {
      out.push([number, line.slice(token.startIndex, token.endIndex), token.scopes[token.scopes.length - 1]]);
    }
    stack = result.ruleStack;
  });
  return out;
}

function scopeOf(tokens, text, lineIncludes, lines) {
  const hit = tokens.find(([n, t]) => t === text && (!lineIncludes || lines[n].includes(lineIncludes)));
  assert.ok(hit, `no token ${text}${lineIncludes ? " on the line with " + lineIncludes : ""}`);
  return hit[2];
}

test("a bundled rule file gets the right scopes", async () => {
  const grammar = await loadGrammar();
  const text = fs.readFileSync(RULE_FILE, "utf8");
  const lines = text.split("\n");
  const tokens = tokenize(grammar, text);
  const table = "住院起付标准 按 医院等级";
  assert.strictEqual(scopeOf(tokens, "按", table, lines), "keyword.operator.word.yibao");
  assert.strictEqual(scopeOf(tokens, "200元", table, lines), "constant.numeric.money.yibao");
  assert.strictEqual(scopeOf(tokens, "待定", table, lines), "constant.language.yibao");
  assert.strictEqual(scopeOf(tokens, "第三十条", "【住院起付标准】", lines), "entity.name.section.article.yibao");
  assert.strictEqual(scopeOf(tokens, "【住院起付标准】", null, lines), "markup.heading.title.yibao");
  assert.strictEqual(scopeOf(tokens, "6.5%", "单位缴费比例", lines), "constant.numeric.rate.yibao");
  assert.strictEqual(scopeOf(tokens, "2018-04-01", "施行", lines), "constant.numeric.date.yibao");
  assert.strictEqual(scopeOf(tokens, "四舍五入", "缴费基数下限", lines), "support.function.yibao");
  assert.strictEqual(scopeOf(tokens, "若", "公务员补助计算基数 =", lines), "keyword.control.yibao");
  assert.strictEqual(scopeOf(tokens, "地区", null, lines), "keyword.other.declaration.yibao");
  const comment = lines.findIndex((l) => l.trim().startsWith("#"));
  assert.strictEqual(scopeOf(tokens, lines[comment].trim(), null, lines), "comment.line.number-sign.yibao");
  const example = lines.find((l) => l.trim().startsWith("例 \""));
  const title = example.trim().slice(2, example.trim().lastIndexOf("\"") + 1);
  assert.strictEqual(scopeOf(tokens, title, null, lines), "string.quoted.yibao");
});

test("keywords are whole words, as the language reads them", async () => {
  const grammar = await loadGrammar();
  const line = "    甲 = 按医院等级 + 乙1 × 2次 若 有 by";
  const tokens = tokenize(grammar, line);
  const scopes = Object.fromEntries(tokens.map(([, t, s]) => [t.trim(), s]));
  assert.strictEqual(scopes["按医院等级"], "source.yibao"); // one name, not the keyword 按
  assert.strictEqual(scopes["乙1"], "source.yibao"); // the digit belongs to the name
  assert.strictEqual(scopes["2次"], "constant.numeric.count.yibao");
  assert.strictEqual(scopes["by"], "keyword.operator.word.yibao"); // an English alias
  assert.strictEqual(scopes["有"], "keyword.operator.word.yibao");
});
