#!/usr/bin/env node
import { ensureBuilt } from './ensure-built.mjs';

ensureBuilt('dist/src/cli/etcdutl/main.js');
const { main } = await import('../dist/src/cli/etcdutl/main.js');
void main();
