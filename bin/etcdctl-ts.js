#!/usr/bin/env node
import { ensureBuilt } from './ensure-built.mjs';

ensureBuilt('dist/src/cli/etcdctl/main.js');
const { main } = await import('../dist/src/cli/etcdctl/main.js');
void main();
