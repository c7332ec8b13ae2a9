# Sourced by bench/waf_vs_modsecurity.sh and tests/integration/managed/crs_modsec.sh: writes the
# ModSecurity + OWASP CRS configuration of the nginx peer into a directory of its own.
#
#   modsec_crs_conf DIR PARANOIA_LEVEL BASE SETUP RULES [audit_off]
#
# DIR/modsecurity.conf is BASE (Debian's modsecurity.conf-recommended) with the engine on (it
# ships DetectionOnly) and its audit log, tmp and data dirs and unicode map in DIR (`audit_off`
# also turns the audit engine off); DIR/main.conf includes it, then the CRS as the package loads
# it (SETUP, the paranoia level as crs-setup.conf's rule 900000 sets it, the exclusion templates
# when present, RULES/*.conf). nginx's `modsecurity_rules_file` is DIR/main.conf.
modsec_crs_conf() {
  local dir=$1 pl=$2 base=$3 setup=$4 rules=$5 audit=${6:-}
  local audit_sed=()
  [ "$audit" = audit_off ] && audit_sed=(-e "s#^SecAuditEngine .*#SecAuditEngine Off#")
  sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' \
    -e "s#^SecAuditLog .*#SecAuditLog $dir/modsec_audit.log#" \
    "${audit_sed[@]}" \
    -e "s#^SecUnicodeMapFile unicode.mapping#SecUnicodeMapFile $dir/unicode.mapping#" \
    -e "s#^SecTmpDir .*#SecTmpDir $dir/#" -e "s#^SecDataDir .*#SecDataDir $dir/#" \
    "$base" >"$dir/modsecurity.conf"
  local map
  for map in "$(dirname "$base")/unicode.mapping" /etc/nginx/unicode.mapping \
    /usr/share/nginx/docs/modsecurity/unicode.mapping /etc/modsecurity/unicode.mapping; do
    if [ -f "$map" ]; then cp "$map" "$dir/unicode.mapping" && break; fi
  done
  [ -f "$dir/unicode.mapping" ] || sed -i '/^SecUnicodeMapFile/d' "$dir/modsecurity.conf"
  {
    echo "Include $dir/modsecurity.conf"
    echo "Include $setup"
    echo "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=$pl\""
    [ -f /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf ] &&
      echo "Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"
    echo "Include $rules/*.conf"
    [ -f /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf ] &&
      echo "Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"
    true
  } >"$dir/main.conf"
}
