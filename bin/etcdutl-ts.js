#!/usr/bin/env node
import { main } from '../dist/src/cli/etcdutl/main.js';
void main();
