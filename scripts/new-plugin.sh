#!/bin/sh
# make plugin NAME=x: a new request plugin from scripts/plugin-template:
# plugins/x/x.c, registered in plugins/manifest (versions >=0.1.0 <1.0.0),
# and tests/workerd/plugin_x.test.js, which `make test` runs. The Makefile
# then builds it (and checks its size budget).
set -eu
name=${1:-}
if ! printf '%s' "$name" | grep -Eq '^[a-z][a-z0-9_]{0,31}$' || [ "$name" = sdk ]; then
    echo "make plugin: NAME must be 1-32 of [a-z0-9_], starting with a letter, and not sdk (got '$name')" >&2
    exit 2
fi
if [ -e "plugins/$name" ] || awk -v n="$name" '$1 == n { found = 1 } END { exit !found }' plugins/manifest tests/plugins/manifest; then
    echo "make plugin: a plugin named $name already exists" >&2
    exit 2
fi
mkdir -p "plugins/$name"
sed "s/@NAME@/$name/g" scripts/plugin-template/plugin.c.in > "plugins/$name/$name.c"
sed "s/@NAME@/$name/g" scripts/plugin-template/test.js.in > "tests/workerd/plugin_$name.test.js"
printf '%-7s route  >=0.1.0 <1.0.0\n' "$name" >> plugins/manifest
echo "plugin $name: plugins/$name/$name.c, registered in plugins/manifest, test tests/workerd/plugin_$name.test.js"
echo "  GET /plugins/$name/state/{id} once built; make test runs its test"
