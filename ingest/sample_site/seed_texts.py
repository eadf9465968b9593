"""The paragraphs of the real seed pages' listing dumps 000, 001 and 003 (``../shared/seeds/``),
word for word, a constant per item; ``seed_articles`` holds the article pages' (002, 004).
``seeds`` places them on their real days."""

from __future__ import annotations

P_000A: tuple[str, ...] = (
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

P_000B: tuple[str, ...] = (
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

P_001A: tuple[str, ...] = (
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

P_001B: tuple[str, ...] = (
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

P_003A: tuple[str, ...] = (
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

P_003B: tuple[str, ...] = (
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

P_003C: tuple[str, ...] = (
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
