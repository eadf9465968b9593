<?php
/*
 * Drives a test copy of WordPress from PHP's CLI: `php wp.php COMMAND SPEC.json`, run with the
 * copy's folder as the working directory. Everything it prints is one JSON document.
 *
 *   install  wp_install(), the site's options (time zone, posts per page, pretty permalinks)
 *   corpus   categories and posts from the spec, each in the status it asks for
 *   edit     change one post's content (WordPress keeps the old one as a revision)
 *   truth    every post as WordPress's database holds it and its template tags render it
 */
$command = $argv[1];
$spec = json_decode(file_get_contents($argv[2]), true);
$home = $spec['home'];
$_SERVER['HTTP_HOST'] = parse_url($home, PHP_URL_HOST) . ':' . parse_url($home, PHP_URL_PORT);
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_NAME'] = parse_url($home, PHP_URL_HOST);
if ($command === 'install') {
    define('WP_INSTALLING', true);
}
require getcwd() . '/wp-load.php';

function ingest_out($value) {
    echo json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT), "\n";
}

if ($command === 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    // Public, as a news site is: WordPress then serves its core sitemap (/wp-sitemap.xml) and
    // names it in its robots.txt, which `ingest add` reports.
    wp_install('Ingest test site', 'admin', 'admin@example.org', true, '', 'not-a-secret');
    update_option('home', $home);
    update_option('siteurl', $home);
    update_option('timezone_string', $spec['timezone']);
    update_option('posts_per_page', $spec['posts_per_page']);
    update_option('permalink_structure', '/%year%/%monthnum%/%day%/%postname%/');
    update_option('rewrite_rules', '');
    ingest_out(array('installed' => get_bloginfo('version')));
    exit(0);
}

wp_set_current_user(1);  // an administrator: content is stored as written (no kses)

if ($command === 'corpus') {
    wp_delete_post(1, true);  // the "Hello world!" post wp_install() writes, dated today
    $category_ids = array();
    foreach ($spec['categories'] as $name) {
        $term = wp_insert_term($name, 'category');
        if (is_wp_error($term)) {
            fwrite(STDERR, $term->get_error_message() . "\n");
            exit(1);
        }
        $category_ids[$name] = $term['term_id'];
    }
    $ids = array();
    foreach ($spec['posts'] as $post) {
        $wanted = $post['status'];
        // Scheduled and trashed posts start published, then move: a 'future' post dated in the
        // past would be published at once, and only a published post can be trashed.
        $insert_status = in_array($wanted, array('future', 'trash'), true) ? 'publish' : $wanted;
        $id = wp_insert_post(array(
            'post_title' => $post['title'],
            'post_content' => $post['content'],
            'post_date' => $post['date'],
            'post_status' => $insert_status,
            'post_author' => 1,
            'post_category' => array_map(function ($name) use ($category_ids) {
                return $category_ids[$name];
            }, $post['categories']),
        ), true);
        if (is_wp_error($id)) {
            fwrite(STDERR, $id->get_error_message() . "\n");
            exit(1);
        }
        if ($wanted === 'trash') {
            wp_trash_post($id);
        } elseif ($wanted === 'future') {
            // A scheduled post whose time has come while no cron ran: still not public.
            global $wpdb;
            $wpdb->update($wpdb->posts, array('post_status' => 'future'), array('ID' => $id));
            clean_post_cache($id);
        }
        $ids[] = $id;
    }
    ingest_out(array('ids' => $ids));
    exit(0);
}

if ($command === 'edit') {
    $result = wp_update_post(array('ID' => $spec['id'], 'post_content' => $spec['content']), true);
    if (is_wp_error($result)) {
        fwrite(STDERR, $result->get_error_message() . "\n");
        exit(1);
    }
    ingest_out(array('revisions' => count(wp_get_post_revisions($spec['id']))));
    exit(0);
}

if ($command === 'truth') {
    global $wpdb;
    $rows = $wpdb->get_results(
        "SELECT ID, post_title, post_date, post_date_gmt, post_status, post_content
         FROM {$wpdb->posts} WHERE post_type = 'post' ORDER BY post_date, ID",
        ARRAY_A
    );
    $posts = array();
    foreach ($rows as $row) {
        $post = get_post($row['ID']);
        setup_postdata($post);
        $posts[] = array(
            'id' => (int) $row['ID'],
            'status' => $row['post_status'],
            'post_title' => $row['post_title'],
            'post_date' => $row['post_date'],
            'post_date_gmt' => $row['post_date_gmt'],
            'title' => get_the_title($post),
            'permalink' => get_permalink($post),
            'categories' => array_map(function ($term) { return $term->name; }, get_the_category($post->ID)),
            'content' => apply_filters('the_content', $row['post_content']),
        );
    }
    ingest_out(array(
        'version' => get_bloginfo('version'),
        'timezone' => get_option('timezone_string'),
        'posts' => $posts,
    ));
    exit(0);
}

fwrite(STDERR, "unknown command $command\n");
exit(2);
