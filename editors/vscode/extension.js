// The yibao extension: the TextMate grammar highlights; everything else comes from `yibao lsp`.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("yibao");
  const server = {
    command: config.get("server.command", "yibao"),
    args: config.get("server.args", ["lsp"]),
  };
  const rules = config.get("rules", "");
  client = new LanguageClient(
    "yibao",
    "yibao 医保规则",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "yibao" }],
      initializationOptions: rules ? { rules } : {},
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
