#!/usr/bin/env python3
"""Embeds a text file in C++: embed_text.py IN OUT.cpp SYMBOL -> `extern const char SYMBOL[]` in ipfix::asdb."""
import sys

src, out, symbol = sys.argv[1:4]
data = open(src, 'rb').read()
rows = [', '.join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)]
with open(out, 'w') as f:
    f.write('// Generated from %s by embed_text.py; do not edit.\n' % src.split('/')[-1])
    f.write('namespace ipfix::asdb {\n')
    f.write('extern const char %s[];\n' % symbol)
    f.write('const char %s[] = {\n    %s, 0};\n' % (symbol, ',\n    '.join(rows)))
    f.write('}  // namespace ipfix::asdb\n')
