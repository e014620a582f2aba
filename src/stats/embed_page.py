#!/usr/bin/env python3
"""Embeds the dashboard page in C++: embed_page.py IN.html OUT.cpp -> ipfix::stats::dashboard_page()."""
import sys

src, out = sys.argv[1:3]
data = open(src, 'rb').read()
rows = [', '.join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)]
with open(out, 'w') as f:
    f.write('// Generated from %s by embed_page.py; do not edit.\n' % src.split('/')[-1])
    f.write('#include "ipfix/stats/dashboard_page.hpp"\n\n')
    f.write('namespace ipfix::stats {\nnamespace {\n')
    f.write('constexpr char page[] = {\n    %s};\n' % ',\n    '.join(rows))
    f.write('}  // namespace\n\n')
    f.write('std::string_view dashboard_page() { return {page, sizeof page}; }\n\n')
    f.write('}  // namespace ipfix::stats\n')
