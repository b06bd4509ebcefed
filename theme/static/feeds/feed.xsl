<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an Atom or RSS feed of the portal as a readable page when opened in a browser.
     Every feed refers to this file with a relative <?xml-stylesheet?> (plugins/feeds), so the
     site's stylesheet is found relative to that same address. No script. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="instruction" select="string(/processing-instruction('xml-stylesheet'))"/>
  <xsl:variable name="stylesheet" select="substring-before(substring-after($instruction, 'href=&quot;'), '&quot;')"/>
  <xsl:variable name="static" select="substring-before($stylesheet, 'feeds/feed.xsl')"/>
  <xsl:variable name="self" select="/atom:feed/atom:link[@rel='self']/@href | /rss/channel/atom:link[@rel='self']/@href"/>
  <xsl:variable name="title" select="/atom:feed/atom:title | /rss/channel/title"/>
  <xsl:variable name="home" select="/atom:feed/atom:link[@rel='alternate']/@href | /rss/channel/link"/>
  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/">
    <html lang="{/atom:feed/@xml:lang | /rss/channel/language}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/>(订阅源)</title>
        <link rel="stylesheet" href="{$static}css/portal.css"/>
      </head>
      <body>
        <main id="main">
          <div class="wrap">
            <div class="feed-preview-note" role="note">
              <p>这是一个<strong>订阅源</strong>,供 RSS/Atom 阅读器使用。请把本页网址复制到阅读器的“添加订阅”中,有新消息时阅读器会自动收到。</p>
              <p><a href="{$home}">打开对应的网页</a> · <a href="{concat(substring-before($self, 'feeds/'), 'feeds/')}">什么是订阅?查看全部订阅</a></p>
            </div>
            <h1><xsl:value-of select="$title"/></h1>
            <p class="lead"><xsl:value-of select="/atom:feed/atom:subtitle | /rss/channel/description"/></p>
            <xsl:apply-templates select="/atom:feed/atom:entry | /rss/channel/item"/>
            <xsl:if test="not(/atom:feed/atom:entry | /rss/channel/item)">
              <p>暂无消息。</p>
            </xsl:if>
          </div>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <!-- 2019-01-03T09:00:00+08:00 → 2019年1月3日 -->
    <xsl:call-template name="card">
      <xsl:with-param name="link" select="atom:link/@href"/>
      <xsl:with-param name="title" select="atom:title"/>
      <xsl:with-param name="datetime" select="atom:published"/>
      <xsl:with-param name="date" select="concat(substring(atom:published, 1, 4), '年',
          number(substring(atom:published, 6, 2)), '月', number(substring(atom:published, 9, 2)), '日')"/>
      <xsl:with-param name="summary" select="atom:summary"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="item">
    <!-- Thu, 03 Jan 2019 09:00:00 +0800 → 2019年1月3日 -->
    <xsl:call-template name="card">
      <xsl:with-param name="link" select="link"/>
      <xsl:with-param name="title" select="title"/>
      <xsl:with-param name="datetime" select="''"/>
      <xsl:with-param name="date" select="concat(substring(pubDate, 13, 4), '年',
          string-length(substring-before($months, substring(pubDate, 9, 3))) div 3 + 1, '月',
          number(substring(pubDate, 6, 2)), '日')"/>
      <xsl:with-param name="summary" select="description"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="card">
    <xsl:param name="link"/>
    <xsl:param name="title"/>
    <xsl:param name="datetime"/>
    <xsl:param name="date"/>
    <xsl:param name="summary"/>
    <article class="item-card">
      <h2><a href="{$link}"><xsl:value-of select="$title"/></a></h2>
      <p class="meta">
        <time>
          <xsl:if test="$datetime"><xsl:attribute name="datetime"><xsl:value-of select="$datetime"/></xsl:attribute></xsl:if>
          <xsl:value-of select="$date"/>
        </time>
      </p>
      <p class="summary"><xsl:value-of select="$summary"/></p>
    </article>
  </xsl:template>
</xsl:stylesheet>
