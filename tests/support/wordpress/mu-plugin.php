<?php
/*
 * Test switches, read from the server process's environment so that one installation serves
 * each bundled theme on a port of its own (the theme and the site address are options
 * WordPress keeps in its database).
 *   INGEST_WP_HOME   the address this server answers on (home and siteurl)
 *   INGEST_WP_THEME  the theme this server renders (template and stylesheet)
 *   INGEST_WP_NO_REST  set: the REST API answers 401 rest_disabled, as security plugins do
 */
$ingest_home = getenv('INGEST_WP_HOME');
if ($ingest_home) {
    add_filter('pre_option_home', function () use ($ingest_home) { return $ingest_home; });
    add_filter('pre_option_siteurl', function () use ($ingest_home) { return $ingest_home; });
}
$ingest_theme = getenv('INGEST_WP_THEME');
if ($ingest_theme) {
    add_filter('pre_option_template', function () use ($ingest_theme) { return $ingest_theme; });
    add_filter('pre_option_stylesheet', function () use ($ingest_theme) { return $ingest_theme; });
}
if (getenv('INGEST_WP_NO_REST')) {
    add_filter('rest_authentication_errors', function () {
        return new WP_Error('rest_disabled', 'The REST API is disabled on this site.', array('status' => 401));
    });
}
