"""The five real pages of the seed set, placed on their real days with their real texts.

Listing dumps (000, 001, 003) show each item's whole text, so those items carry it all as
intro text; article pages (002, 004) split as intro = first paragraph, full = the rest. The
dumps dropped the listing titles; the titles given here for those are invented.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

from ingest.sample_site.article import (
    COALITION_NEWS,
    LOCAL_NEWS,
    SampleArticle,
    day_id,
    make_article,
    slugify,
)
from ingest.sample_site.markup import HtmlStyle

_P_000A: tuple[str, ...] = (
    (
        "Hadi Al-Bahra, Co-chair of the Constitutional Committee, members of the expanded "
        "and drafting committees participated in a workshop held in the Turkish city of "
        "Gaziantep on the voice of civil society in the constitution. The workshop was "
        "organized by the Stability Support Committee and in coordination with "
        "representatives of the Syrian Negotiations Commission."
    ),
    (
        "The workshop also brought together representatives of local communities, members "
        "of local councils and activists in the liberated areas, representatives of civil "
        "society organizations, representatives of the United States, France, Turkey, "
        "Poland, Germany, the Netherlands, Canada, the European Union, and the political "
        "representative of the UN Office."
    ),
    (
        "The workshop began with a discussion of the humanitarian catastrophe unfolding "
        "in Idlib and the mass exodus of civilians as a result of the intense, deliberate "
        "bombardment being carried out by the Assad regime and Russia."
    ),
    (
        "The participants discussed the policy being pursued by the Assad regime and "
        "Russia to depopulate whole villages and towns using the scorched earth policy "
        "and its impact on the work of the Constitutional Committee and the entire "
        "political process."
    ),
    (
        "Al-Bahra condemned the lukewarm international response and the failure to exert "
        "serious political pressure to establish a ceasefire and protect civilians. He "
        "also said there the response is falling short of meeting the humanitarian needs "
        "for the internally displaced people."
    ),
    (
        "The participants also reviewed the current challenges, the latest developments "
        "in the political process and the role of the Constitutional Committee in the "
        "process. Al-Bahra talked about the latest political developments relating to the "
        "meetings the Syrian Negotiations held in London several days ago, including the "
        "meeting of the Small Group on Syria in addition to the results of the "
        "international envoy's recent visit, Geir Pedersen to Moscow and Damascus."
    ),
    (
        "Al-Bahra stressed the important role of the local community in providing support "
        "and assistance to the IDP and in the constitutional process, especially in the "
        "discussions of the drafting of the constitution. He also stressed the "
        "community’s role in drafting its articles as essential to the success of the "
        "Committee's work. (Source: Syrian National Coalition’s Media Department)"
    ),
)

_P_000B: tuple[str, ...] = (
    (
        "The Syrian National Coalition said that the Russian occupation forces, Iranian "
        "militias, and Assad's gangs are committing all types of crimes against civilians "
        "in Maaret al-Numan and rural Aleppo, targeting residential areas with "
        "internationally prohibited weapons and displacing tens of thousands of civilians "
        "from their homes in utter disregard for UN resolutions, international laws and "
        "norms."
    ),
    (
        "In a press release issued on Friday, the Coalition stressed that “everyone is a "
        "partner in the bloodshed in Syria, those who are bombing, killing, funding, "
        "sending sectarian militias, providing the killers with coordinates, denying the "
        "Syrian people the means to defend themselves, and who are keeping silent.”"
    ),
    (
        "The Coalition urged the peoples around the world, civil and human rights bodies, "
        "civil society organizations and activists everywhere are required today to take "
        "action and put pressure on their governments to ensure an end to this terrorist "
        "campaign and enforce international resolutions and laws."
    ),
    (
        "“The Russians and Iranians were not the first to occupy Maaret al-Numan which "
        "was captured by many invaders before them, but were all defeated, and Syria "
        "remained. Today's invaders will also be defeated at the hands of Syria’s "
        "heroes.” (Source: Syrian National Coalition’s Media Department)"
    ),
)

_P_001A: tuple[str, ...] = (
    (
        "An official in the Syrian Coalition said that the inability of the international "
        "community to stop attacks by the Assad regime and its Russian and Iranian allies "
        "on civilians in Syria represents a total disgrace to the international community "
        "and risks undermining its credibility and confidence."
    ),
    (
        "Secretary of the Coalition’s political committee Mohammed Yahya Maktabi said "
        "that the response of international officials to the situation in Syria does not "
        "correspond with the size of responsibility placed on the UN and its institutions "
        "in the protection of civilians in times of war and crisis."
    ),
    (
        "The political committee on Thursday convened in the Turkish city of Gaziantep to "
        "discuss the latest field and political developments. It reiterated calls on the "
        "international community to hold accountable those responsible for the repeated "
        "use of poison gas. It strongly condemned all crimes being committed by the Assad "
        "regime against civilians."
    ),
    (
        "Maktabi pointed out that the international officials’ continued throwing of "
        "blame on all parties in Syria and their equating between the criminal and the "
        "victim is immoral. He stressed the need for the UN to assume its "
        "responsibilities and condemn the attacks by regime forces and their allied "
        "foreign as major war crimes that violate International law and international "
        "humanitarian law."
    ),
    (
        "Many areas across Syria have been subjected to an unprecedented military "
        "escalation claiming the lives of hundreds of people and wounding thousands more. "
        "The attacks also caused widespread destruction to infrastructure and health "
        "facilities."
    ),
    (
        "Meanwhile, the Union of Free Syrian Doctors held a sit-in in front of the rubble "
        "of a hospital in eastern Ghouta on Wednesday to condemn the international "
        "silence about the Assad regime’s massacres in which it used internationally "
        "banned weapons and poisonous chlorine gas. (Source: Syrian Coalition’s Media "
        "Department)"
    ),
)

_P_001B: tuple[str, ...] = (
    (
        "Head of the Syrian Negotiations Commission Nasr al-Hariri and accompanying "
        "delegation met with US Secretary of State Rex Tillerson in the Jordanian capital "
        "Amman on Wednesday."
    ),
    (
        "Hariri stressed the need for a firm international stance towards the Assad "
        "regime's repeated use of chemical weapons and for confronting Iran’s growing "
        "influence in Syria."
    ),
    (
        "In a statement released following the meeting, the Commission said that the "
        "meeting came “amidst agreement on majority of the core issues in Syrian.”"
    ),
    (
        "Hariri warned that the Syrian people are losing faith in the negotiating process "
        "because of the intransigence of the Assad regime and its obstruction of efforts "
        'to find a political solution. He stressed that "the integrity of Syrian '
        'territory is a concern for all Syrians."'
    ),
    (
        "Hariri also stressed that the implementation of UN resolutions regrading a "
        "political transition is the guarantor of the sustainability of the political "
        "process and the achievement of its goals. He also underscored the need for “real "
        "support for the Syrian opposition which is showing full cooperation and "
        'responding positively with the efforts of the international community."'
    ),
    (
        "For his part, Tillerson expressed his country's readiness to cooperate with the "
        "Commission to push the political process forward. He also stressed the need for "
        "Russian cooperation for the success of the political process by bringing the "
        "Assad regime to the negotiating table and the need for Iran to stop its military "
        "and political interference in Syria."
    ),
    (
        "According to the Commission’s statement, Tillerson said that Washington is "
        "working seriously with Moscow on confidence-building measures in line with UN "
        "resolutions to address the issue of detainees and ensure humanitarian access to "
        "the besieged areas."
    ),
    (
        "He pointed out that the United States is seeking to restart the political "
        "process, praising the Commission’s serious efforts to find a solution that meets "
        "the aspirations of the Syrian people. Tillerson stressed that the reconstruction "
        "process in Syria is contingent on the success of the political process and the "
        "creation of a neutral environment."
    ),
    (
        "At the end of the meeting, the two sides agreed to continue consultations and "
        "hold more technical meetings to secure real support for the Syrian opposition "
        "that is needed to help reach a political solution; stop the deterioration of the "
        "overall situation in Syria; and bring about a political transition in accordance "
        "with UN resolutions. (Source: Syrian Coalition’s Media Department + Agencies)"
    ),
)

_P_003A: tuple[str, ...] = (
    (
        "Dissent against the Assad regime forces and its security agencies has spread "
        "from the province of Dara’a to the city of Damascus where unknown persons "
        "defaced a portrait of Bashar al-Assad in the district of Qudsaya west of the "
        "capital."
    ),
    (
        "Local activists said that the portrait of Bashar al-Assad was hung on the façade "
        "of the consumer complex near a security center in the public square in central "
        "Qudsaya."
    ),
    (
        "Activists told Smart News Network that unidentified persons had scrawled "
        "anti-regime graffiti on the walls of the municipality building in Qudsaya, the "
        "main bakery, and the street leading to the juvenile detention center in the "
        "district. On the same day, ant-regime graffiti calling for the departure of "
        "Bashar al-Assad and demanding freedom were scrawled on the walls in Dara’a."
    ),
    (
        "The behavior of the Assad regime's forces and security services in Dara’a is "
        "causing growing dissent as residents of the province on Tuesday declared civil "
        "disobedience in protest to the regime’s forced recruitment of people in the "
        "province."
    ),
    (
        "The Syrian Coalition earlier said that the Assad regime’s repressive actions "
        "against the people of Dara’a rise are more than enough to spark off a new "
        "uprising against its rule."
    ),
    (
        "In October 2016, the Assad regime retook control of the districts of Qudsaya and "
        "al-Hama near Damascus after it forced out thousands of civilians and hundreds of "
        "FSA fighters and their families to northern Syria. (Source: Syrian Coalition’s "
        "Media Department)"
    ),
)

_P_003B: tuple[str, ...] = (
    (
        "Survivors from the prisons of the Assad regime and families of the disappeared "
        "people have sent a letter to organizers of the Brussels III Conference on "
        '"Supporting the Future of Syria and the Region" which will convene in the '
        "Belgian capital Brussels on 12-14 March 2019."
    ),
    (
        "Salma Kahala, executive director of Dawlaty organization, told Inab Baladi's "
        "website that her organization, along with the Syrian Center for Media and "
        "Freedom of Expression (SCM) and the Syria Campaign, support four groups of "
        "former detainees and families of disappeared persons to make their voices heard "
        "and convey their demands to the organizers of the conference."
    ),
    (
        "Kahala said that the Brussels conference provides an opportunity to convey the "
        "demands of the Syrian people to the international community and urge it to have "
        "a common position and prioritize the issues of the detainees and forcibly "
        "disappeared people as well as the issue of accountability and truth."
    ),
    (
        "The four groups called on the international community and the European Union to "
        "play a bigger role and ratchet up diplomatic pressure to support the issue of "
        "detainees on the UN Security Council and by the new UN envoy to Syria, Geir "
        "Pederson."
    ),
    (
        "Kahala went on to say that the four groups called for mechanisms to disclose the "
        "whereabouts of disappeared persons in Syria. They also called for the "
        "international community, especially the European countries, to show the "
        "political will to support accountability for torture and ill-treatment of "
        "detainees in Syria by prosecuting the perpetrators in these countries’ national "
        "courts or through supporting the International Impartial and Independent "
        "Mechanism (IIIM)."
    ),
    (
        "On Tuesday, survivors from the prisons of the Assad regime and families of the "
        "forcibly disappeared sent a letter to EU foreign policy chief Federica Mogherini "
        "and the new UN envoy to Syria, Geir Pederson ahead of the Conference."
    ),
    (
        "The letter to Mogherini called for ratcheting pressure on the Assad regime and "
        "Russia to force them to disclose the fate of hundreds of thousands of missing "
        "persons and to support the efforts to identify the missing persons and disclose "
        "the fate of the bodies of the victims. The letter also called for supporting the "
        "role of survivors and families of the disappeared persons in the efforts to "
        "reach a political solution in Syria."
    ),
    (
        'The Brussels III Conference on "Supporting the Future of Syria and the Region" '
        "aims to raise five billion USD to respond to the crises of the internally "
        "displaced persons and refugees in host countries, especially Lebanon, Turkey and "
        "Jordan."
    ),
    (
        "The conference first convened in April 2017 then in April 2018 during which "
        "funds were raised for Syria. (Source: Syrian Coalition’s Media Department)"
    ),
)

_P_003C: tuple[str, ...] = (
    (
        "The Syrian Coalition denounced the international community’s total inaction "
        "towards what is happening on the ground and the tragic reality caused by the "
        "constant, indiscriminate shelling by the Assad regime and Iranian militias with "
        "Russia cover and in violation of the Idlib agreement."
    ),
    (
        "In a press release issued on Thursday, the Coalition condemned the Assad regime "
        "and its allies’ targeting of unarmed civilians in Idlib province. It said: “As "
        "the this situation continues, the crimes continue and civilians continue to be "
        "targeted as if it became a new norm and as if there was no agreement in place or "
        "guarantors who need to be concerned about its durability."
    ),
    (
        "The Coalition reiterated its condemnation of attacks and actions violating the "
        "agreement which was reached in Sochi."
    ),
    (
        "“The world is required not to waste more time; exert pressure on the Assad "
        "regime and its supporters to force them to commit to stopping crime and "
        "shelling; and push the political process forward in accordance with UN Security "
        "Council resolutions and the Geneva Communique of 2012,” the Coalition said."
    ),
    (
        "The Coalition called on parties and guarantors of the Idlib agreement as well as "
        "the international community to closely follow the situation on the ground and "
        "not to let civilians be subjected to indiscriminate shelling aimed at killing or "
        "displacing them."
    ),
    (
        "“It is imperative that the international community realize the dangers of the "
        "escalating attacks by the Assad regime and the Iranian militias as well as to "
        "realize their real objectives and to work to stop them and to spare the region "
        "its catastrophic consequences.” (Source: Syrian Coalition’s Media Department)"
    ),
)

_P_002: tuple[str, ...] = (
    (
        "The Syrian National Coalition’s Department of Foreign Relations on Tuesday "
        "convened to prepare a number of activities and events aimed at highlighting the "
        "crimes Russia and the Assad regime are committing in Syria, especially in Idlib "
        "and rural Aleppo."
    ),
    (
        "The meeting was attended by coordinators of the Coalition’s departments and "
        "committees. The discussions focused on the situation in western rural Aleppo and "
        "Idlib province and the atrocious crimes Russia is committing right under the "
        "eyes of the entire world. Participants stressed that the international community "
        "bears direct responsibility for what is happening against civilians because of "
        "its long silence about those crimes that have been ongoing on for nine years."
    ),
    (
        "The participants reviewed the local and international human rights documents and "
        "reports confirming the involvement of Russia and the Assad regime in widespread "
        "crimes, such as targeting civilians and vital facilities such as homes, mosques, "
        "schools, medical centers, relief convoys, ambulances, and humanitarian workers."
    ),
    (
        "Tabled for discussion was also the issue of detainees and enforced "
        "disappearance. The participants stressed that this issue is one of the most "
        "important issues that the international community should deal with in all "
        "seriousness by establishing a mechanism to ensure the release of detainees and "
        "disclose the fate of the missing."
    ),
    (
        "Coordinator of the Department, Abdulahad Astepho, held another meeting with the "
        "political Syria advisor at the French Foreign Ministry, Fabrice Desplechin and "
        "discussed with him the dangerous situation in rural Aleppo and Idlib."
    ),
    (
        "Astepho stressed that the international community has so far failed to fulfill "
        "its legal and moral obligations towards Syrian civilians or towards the "
        "implementation of international resolutions on Syria, most importantly the "
        "Geneva Communique of 2012 and UN Resolution 2254 calling for a ceasefire and "
        "engagement in a political process in order to achieve democratic transition in "
        "the country."
    ),
    (
        "Astepho went on to say that the areas that long fell to the Assad regime are "
        "going through a dire situation. He said that these areas has not stabilized due "
        "to the crimes of the regime as security forces and intelligence services "
        "continued the execution and arrests against civilians. (Source: Syrian National "
        "Coalition’s Media Department)"
    ),
)

_P_004: tuple[str, ...] = (
    (
        "The Syrian Coalition’s presidential body and political committee received "
        "representatives of friendly countries and discussed with them the heavy bombing "
        "campaign by the Assad regime and the Russian forces against civilians in Idlib. "
        "The meeting also discussed the political process, most importantly efforts to "
        "resume the UN-led Geneva negotiations."
    ),
    (
        "President of the Syrian Coalition Abdurrahman Mustafa said that the Assad "
        "regime, Russia and the Iranian terrorist organizations are committing a new "
        "series of war crimes in Idlib and rural Hama. He called on friendly countries to "
        "mobilize efforts at the international level to ensure perpetrators of these "
        'crimes are held accountable. "We are completing the files of accountability for '
        "war crimes in Syria. We hope that you will be further mobilized in international "
        'forums to hold war criminals accountable."'
    ),
    (
        "Mustafa expressed hope that there will be international action to stop the "
        "crimes taking place in northern Syria, which is being subjected to heavy "
        "bombardment that mainly targets residential buildings and vital civilian "
        "centers. He pointed out that serious international action would avert a new "
        "human tragedy affecting civilians and the forcibly displaced people."
    ),
    (
        "He stressed that Russia is targeting civilians, hospitals and service facilities "
        "while ignoring targets of Al-Qaeda, adding that Russia has been pursuing this "
        "strategy from the beginning to strengthen terrorism and crush the Syrian "
        "revolution."
    ),
    (
        "Moreover, Mustafa underscored that the Coalition rejects the existence of any "
        "terrorist organizations on Syrian territory just as it rejects the presence of "
        "Iranian terrorist organizations in Syria. “We were the first to suffer at the "
        "hands of these groups. The Free Syrian Army was the first to confront these "
        "terrorist organizations as it fought them in various parts of Syria. These "
        "groups must not be used as a pretext to kill civilians and bring about a "
        'demographic change in the country."'
    ),
    (
        "“Under the pretext of fighting terrorist organizations, the Assad regime and "
        "Moscow have forcibly displaced the people of Aleppo, eastern Ghouta, Darayya, "
        "Homs, Qalmoun and Dara’a,” Mustafa added. “There is no other Idlib for civilians "
        'to move to," he said, warning of an unprecedented humanitarian disaster as the '
        "region is home to more than three million civilians."
    ),
    (
        "Mustafa also stressed that such disaster will create a new global refugee crisis "
        "affecting most countries. He called on friendly countries to exert international "
        "pressure to protect Syrian civilians and maintain the truce in Idlib, especially "
        "as it is the last remaining de-escalation zone."
    ),
    (
        "Mustafa praised the position of Turkey as well as the international and European "
        "support which is consistent with the position of the Syrian Coalition in its "
        "rejection of escalation and the holocaust being planned in Idlib."
    ),
    (
        "He pointed out the Coalition is also focusing on the political process and "
        'negotiations and said: "We constantly coordinate efforts with the Syrian '
        "Negotiations Commission with regards to political and negotiating issues as well "
        "as the formation of the Constitutional Committee. We are still committed to a "
        'political solution that guarantees the rights of the Syrian people."'
    ),
    (
        "Mustafa underscored that the political process must be comprehensive and not "
        "limited to the constitutional process. He said that Russian is seeking to "
        "rehabilitate the Assad regime and prevent a full political transition in Syria "
        "in line with the Geneva Communique of 2012 and UN Security Council resolution "
        "2254. “We believe that there is no solution except a political one that is "
        "sponsored by the United Nations.” (Source: Syrian Coalition’s Media Department)"
    ),
)


@dataclass(frozen=True)
class _SeedItem:
    created: datetime
    category: str
    title_html: str
    paragraphs: tuple[str, ...]
    article_page: bool  # from an article page: split into intro and full text


_SEED_ITEMS: tuple[_SeedItem, ...] = (
    _SeedItem(
        datetime(2020, 2, 1, 16, 45),
        COALITION_NEWS,
        "Al-Bahra Joins Civil Society Workshop on the Constitution in Gaziantep",
        _P_000A,
        False,
    ),
    _SeedItem(
        datetime(2020, 2, 1, 11, 10),
        COALITION_NEWS,
        "Coalition: Russia, Iran &amp; Assad&#8217;s Gangs Committing All Types of Crimes "
        "in Maaret al-Numan",
        _P_000B,
        False,
    ),
    _SeedItem(
        datetime(2018, 2, 15, 17, 30),
        COALITION_NEWS,
        "Political Committee: Int&#8217;l Inaction over Attacks on Civilians a Total Disgrace",
        _P_001A,
        False,
    ),
    _SeedItem(
        datetime(2018, 2, 15, 12, 5),
        COALITION_NEWS,
        "Hariri Meets Tillerson in Amman, Calls for Firm Stance on Chemical Attacks",
        _P_001B,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 18, 20),
        LOCAL_NEWS,
        "Anti-Regime Graffiti Spreads from Dara&#8217;a to Qudsaya near Damascus",
        _P_003A,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 14, 40),
        LOCAL_NEWS,
        "Survivors &amp; Families of the Disappeared Write to Brussels III Organizers",
        _P_003B,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 11, 15),
        COALITION_NEWS,
        "Coalition Denounces Int&#8217;l Inaction over Shelling of Idlib",
        _P_003C,
        False,
    ),
    _SeedItem(
        datetime(2020, 2, 18, 20, 21),
        COALITION_NEWS,
        "Syrian Coalition Steps Up Efforts to Mobilize Support for Idlib &amp; Expose Russia "
        "&amp; Regime&#8217;s Crimes",
        _P_002,
        True,
    ),
    _SeedItem(
        datetime(2018, 9, 12, 19, 28),
        COALITION_NEWS,
        "Syrian Coalition Continues its Int&#8217;l Efforts for Idlib &amp; Holds Important "
        "Meeting to Rally Support Against Moscow",
        _P_004,
        True,
    ),
)

SEED_DAYS: frozenset[date] = frozenset(item.created.date() for item in _SEED_ITEMS)


def seed_articles(day: date) -> tuple[SampleArticle, ...] | None:
    """The seed items of ``day`` in listing order, or None when ``day`` is not a seed day."""
    if day not in SEED_DAYS:
        return None
    items = sorted(
        (item for item in _SEED_ITEMS if item.created.date() == day),
        key=lambda item: item.created,
        reverse=True,
    )
    return tuple(_build(day, index, item) for index, item in enumerate(items))


def _build(day: date, index: int, item: _SeedItem) -> SampleArticle:
    if item.article_page:
        intro, full = item.paragraphs[:1], item.paragraphs[1:]
    else:
        intro, full = item.paragraphs, ()
    return make_article(
        article_id=day_id(day, index),
        story_id=f"{day.isoformat()}-seed-{index}",
        created=item.created,
        title_html=item.title_html,
        alias=slugify(html.unescape(item.title_html)),
        category=item.category,
        intro_paragraphs=intro,
        full_paragraphs=full,
        intro_style=HtmlStyle(numeric_entities=True, quot_entity=True),
        full_style=HtmlStyle(numeric_entities=True, quot_entity=True),
        absolute_link=index % 2 == 1,
    )
